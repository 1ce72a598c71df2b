"""A tiny Dimple checkpoint's parts and its reference logits, computed with PyTorch.

Dimple (yu-rp/Dimple) = Dream's Qwen2 LM with multimodal rotary positions (M-RoPE) + the
Qwen2.5-VL vision tower + an MLP projector. No Dimple fixture exists offline, so this script
re-implements the LM's forward independently from the published description (Qwen2-VL's 3-D
positions: text tokens take a running index in all three components; the tokens of an image
take (t, h, w) of its merged grid plus the index where the image starts; the text after it
continues one past the largest position; rotary frequencies split in (temporal, height, width)
sections, each turned by its component, rotate-half form; full bidirectional attention).

Parts reused from the project's fixtures: the LM weights of ../qwen2-bidirectional (2 layers,
hidden 64, 4 heads of 16, 2 KV heads, vocab 512) and the Qwen2.5-VL tower of
../towers/qwen25vl-vision (its transformers output for input0.png, `vision_output.0`, is the
image features here). Written here: `projector.safetensors` (random img_projector.linear_{1,2}),
`reference.safetensors` (input_ids, position_ids [3, 1, S], image_embeds, logits [1, S, 512]).
config.json / tokenizer files / preprocessor_config.json beside it are hand-written.
Run: OMP_NUM_THREADS=1 /usr/bin/python3 libs/convert/test-fixtures/dimple/make-dimple-fixture.py
"""
import gzip
import json
import os
import struct
import numpy as np
import torch

torch.manual_seed(20261127)
torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = json.load(open(f"{HERE}/config.json"))
HIDDEN, HEADS, KV = CONFIG["hidden_size"], CONFIG["num_attention_heads"], CONFIG["num_key_value_heads"]
HEAD = HIDDEN // HEADS
SECTIONS = CONFIG["rope_scaling"]["mrope_section"]
THETA, EPS = CONFIG["rope_theta"], CONFIG["rms_norm_eps"]
MERGE = CONFIG["vision_config"]["spatial_merge_size"]
IMAGE, START, END, MASK = (
    CONFIG["image_token_id"],
    CONFIG["vision_start_token_id"],
    CONFIG["vision_end_token_id"],
    CONFIG["mask_token_id"],
)


def load(data):
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64}[info["dtype"]]
        out[name] = torch.from_numpy(
            np.frombuffer(data[8 + n + a : 8 + n + b], dtype=dtype).reshape(info["shape"]).copy()
        )
    return out


def save(path, named):
    header, blobs, offset = {}, [], 0
    for key, value in named.items():
        arr = np.ascontiguousarray(value.detach().numpy())
        b = arr.tobytes()
        header[key] = {
            "dtype": "I64" if arr.dtype == np.int64 else "F32",
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(b)],
        }
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


lm = load(open(f"{HERE}/../qwen2-bidirectional/checkpoint/model.safetensors", "rb").read())
tower = load(gzip.open(f"{HERE}/../towers/qwen25vl-vision/reference.safetensors.gz").read())
features, grid = tower["vision_output.0"], tower["image_grid_thw.0"][0].tolist()  # [35, 80], [1, 10, 14]

# The projector: linear_1 (80 → 64), the LM's hidden_act (SiLU), linear_2 (64 → 64).
linear_1, linear_2 = torch.nn.Linear(features.shape[1], HIDDEN), torch.nn.Linear(HIDDEN, HIDDEN)
projector = {
    "img_projector.linear_1.weight": linear_1.weight,
    "img_projector.linear_1.bias": linear_1.bias,
    "img_projector.linear_2.weight": linear_2.weight,
    "img_projector.linear_2.bias": linear_2.bias,
}
with torch.no_grad():
    image_embeds = linear_2(torch.nn.functional.silu(linear_1(features)))

# The prompt the bundle's chat template renders for "describe this image" with one image, the
# image pad repeated per merged patch, then 4 masked answer positions.
t, h, w = grid[0], grid[1] // MERGE, grid[2] // MERGE
ids = [1, 4, START] + [IMAGE] * (t * h * w) + [END, 30, 31, 29, 2, 1, 5] + [MASK] * 4


def positions_3d(ids, grids):
    """(3, S): text at a running index; each image block (in order, one grid each) at its merged
    grid indices offset by where it starts; the text after a block one past the largest index."""
    rows, nxt, i, grids = [], 0, 0, list(grids)
    while i < len(ids):
        if ids[i] != IMAGE:
            rows.append((nxt, nxt, nxt))
            nxt += 1
            i += 1
            continue
        gt, gh, gw = grids.pop(0)
        bt, bh, bw = gt, gh // MERGE, gw // MERGE
        for ti in range(bt):
            for hi in range(bh):
                for wi in range(bw):
                    rows.append((nxt + ti, nxt + hi, nxt + wi))
        nxt = max(max(r) for r in rows) + 1
        i += bt * bh * bw
    return torch.tensor(rows, dtype=torch.int64).T


def rms(x, weight):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))


def rotate(x, cos, sin):  # x [heads, S, D]
    half = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin


def forward(ids, pos):
    x = lm["model.embed_tokens.weight"][torch.tensor(ids)].clone()
    spots = [i for i, token in enumerate(ids) if token == IMAGE]
    x[spots] = image_embeds
    inv_freq = 1.0 / THETA ** (torch.arange(0, HEAD, 2, dtype=torch.float64) / HEAD)
    component = sum(([c] * n for c, n in enumerate(SECTIONS)), [])
    angles = torch.stack([pos[c].double() * inv_freq[j] for j, c in enumerate(component)], -1)  # [S, D/2]
    cos, sin = torch.cat([angles, angles], -1).cos().float(), torch.cat([angles, angles], -1).sin().float()
    S = len(ids)
    for i in range(CONFIG["num_hidden_layers"]):
        p = f"model.layers.{i}."
        a = rms(x, lm[p + "input_layernorm.weight"])
        proj = (
            lambda name, n: (a @ lm[p + f"self_attn.{name}_proj.weight"].T + lm[p + f"self_attn.{name}_proj.bias"])
            .view(S, n, HEAD)
            .transpose(0, 1)
        )
        q, k, v = rotate(proj("q", HEADS), cos, sin), rotate(proj("k", KV), cos, sin), proj("v", KV)
        k, v = k.repeat_interleave(HEADS // KV, 0), v.repeat_interleave(HEADS // KV, 0)
        probs = torch.softmax(q @ k.transpose(1, 2) / HEAD**0.5, -1)
        x = x + (probs @ v).transpose(0, 1).reshape(S, HIDDEN) @ lm[p + "self_attn.o_proj.weight"].T
        m = rms(x, lm[p + "post_attention_layernorm.weight"])
        gate = m @ lm[p + "mlp.gate_proj.weight"].T
        x = (
            x
            + (torch.nn.functional.silu(gate) * (m @ lm[p + "mlp.up_proj.weight"].T)) @ lm[p + "mlp.down_proj.weight"].T
        )
    return rms(x, lm["model.norm.weight"]) @ lm["lm_head.weight"].T


pos = positions_3d(ids, [grid])
with torch.no_grad():
    logits = forward(ids, pos)
# Positions only: two images (input0's 1 × 10 × 14 grid, then the tower fixture's image 2,
# 1 × 22 × 2) with text around them, as the pipeline would lay out a two-image prompt.
grid_2 = tower["image_grid_thw.2"][0].tolist()
two = [1, 4, START] + [IMAGE] * 35 + [END, START] + [IMAGE] * (grid_2[1] * grid_2[2] // MERGE**2) + [END, 30, 2, 1, 5]
pos_two = positions_3d(two, [grid, grid_2])
save(f"{HERE}/projector.safetensors", projector)
save(
    f"{HERE}/reference.safetensors",
    {
        "input_ids": torch.tensor([ids], dtype=torch.int64),
        "position_ids": pos.unsqueeze(1),
        "image_grid_thw": torch.tensor([grid], dtype=torch.int64),
        "image_embeds": image_embeds,
        "logits": logits.unsqueeze(0),
        "two_images.input_ids": torch.tensor([two], dtype=torch.int64),
        "two_images.image_grid_thw": torch.tensor([grid, grid_2], dtype=torch.int64),
        "two_images.position_ids": pos_two.unsqueeze(1),
    },
)
print("S", len(ids), "grid", grid, "positions max", pos.max().item(), "logits", tuple(logits.shape))
