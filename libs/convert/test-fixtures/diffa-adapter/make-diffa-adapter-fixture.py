"""A tiny random DIFFA adapter checkpoint and its outputs, computed with PyTorch (torch.nn
modules arranged as DIFFA's public code arranges them: WhisperProjector-style semantic adapter,
Q-Former of BERT layers with cross-attention, per-query softmax over the tapped layers).

No DIFFA checkpoint or fixture exists offline, so this is an independent re-implementation in
another framework, not the reference code itself. Run with /usr/bin/python3 (torch, numpy):
  OMP_NUM_THREADS=1 /usr/bin/python3 libs/convert/test-fixtures/diffa-adapter/make-diffa-adapter-fixture.py
"""
import json
import os
import struct
import numpy as np
import torch
from torch import nn

torch.manual_seed(424242)
OUT = os.path.dirname(os.path.abspath(__file__))
D, HEADS, LM, P, FFN, TAPS, T, FRAMES, DS = 16, 4, 24, 8, 32, [0, 1, 2, 3], 50, 73, 4


class BertLayer(nn.Module):
    """Post-LN: self-attention, cross-attention, GELU feed-forward (BERT's eager attention, no mask)."""

    def __init__(self):
        super().__init__()
        for block in ("attention", "crossattention"):
            setattr(
                self,
                block,
                nn.ModuleDict(
                    {
                        "query": nn.Linear(D, D),
                        "key": nn.Linear(D, D),
                        "value": nn.Linear(D, D),
                        "dense": nn.Linear(D, D),
                        "LayerNorm": nn.LayerNorm(D, eps=1e-12),
                    }
                ),
            )
        self.intermediate = nn.Linear(D, FFN)
        self.output = nn.Linear(FFN, D)
        self.output_norm = nn.LayerNorm(D, eps=1e-12)

    @staticmethod
    def attend(m, x, source):
        split = lambda t: t.view(t.shape[0], -1, HEADS, D // HEADS).transpose(1, 2)
        q, k, v = split(m["query"](x)), split(m["key"](source)), split(m["value"](source))
        probs = torch.softmax(q @ k.transpose(-1, -2) / (D // HEADS) ** 0.5, dim=-1)
        context = (probs @ v).transpose(1, 2).reshape(x.shape)
        return m["LayerNorm"](m["dense"](context) + x)

    def forward(self, x, states):
        x = self.attend(self.attention, x, x)
        x = self.attend(self.crossattention, x, states)
        return self.output_norm(self.output(nn.functional.gelu(self.intermediate(x))) + x)


layers = nn.ModuleList([BertLayer() for _ in range(2)])
prompts = [torch.randn(1, P, D) for _ in TAPS]
layer_weights = torch.randn(P, len(TAPS))
proj_norm, proj = nn.LayerNorm(D), nn.Linear(D, LM)
conv0, conv2 = nn.Conv1d(D, D, 3, padding=1), nn.Conv1d(D, D * DS, 3, stride=DS, padding=1)
lin0, lin2, sem_norm = nn.Linear(D * DS, D), nn.Linear(D, LM), nn.LayerNorm(LM)
for norm in (
    [proj_norm, sem_norm]
    + [l.output_norm for l in layers]
    + [l.attention["LayerNorm"] for l in layers]
    + [l.crossattention["LayerNorm"] for l in layers]
):
    nn.init.normal_(norm.weight, 1.0, 0.2)
    nn.init.normal_(norm.bias, 0.0, 0.2)

last = torch.randn(1, T, D)
hidden = [torch.randn(1, T, D) for _ in TAPS]
with torch.no_grad():
    outs = []
    for j, states in enumerate(hidden):
        x = prompts[j]
        for layer in layers:
            x = layer(x, states)
        outs.append(x)
    stacked = torch.stack(outs, 0).permute(1, 2, 0, 3)  # b, P, taps, D
    acoustic = proj(proj_norm((stacked * torch.softmax(layer_weights, -1).unsqueeze(-1)).sum(2)))
    length = (FRAMES - 1) // 2 + 1
    x = last[:, :length]
    x = x[:, : x.shape[1] - x.shape[1] % DS]
    x = conv2(nn.functional.gelu(conv0(x.transpose(1, 2)))).transpose(1, 2)
    semantic = sem_norm(torch.relu(lin2(torch.relu(lin0(x)))))
    audio_embeds = torch.cat([acoustic, semantic], 1)

tensors = {
    "semantic_connector.conv.0.weight": conv0.weight,
    "semantic_connector.conv.0.bias": conv0.bias,
    "semantic_connector.conv.2.weight": conv2.weight,
    "semantic_connector.conv.2.bias": conv2.bias,
    "semantic_connector.linear_connector.0.weight": lin0.weight,
    "semantic_connector.linear_connector.0.bias": lin0.bias,
    "semantic_connector.linear_connector.2.weight": lin2.weight,
    "semantic_connector.linear_connector.2.bias": lin2.bias,
    "semantic_connector.layernorm.weight": sem_norm.weight,
    "semantic_connector.layernorm.bias": sem_norm.bias,
    "acoustic_connector.layer_weights": layer_weights,
    "acoustic_connector.proj.0.weight": proj_norm.weight,
    "acoustic_connector.proj.0.bias": proj_norm.bias,
    "acoustic_connector.proj.1.weight": proj.weight,
    "acoustic_connector.proj.1.bias": proj.bias,
    # Not adapter tensors: left alone by the adapter conversion.
    "trainable_prompts.weight": torch.randn(20, LM),
    "whisper_model.layer_norm.weight": torch.ones(D),
}
for j, prompt in enumerate(prompts):
    tensors[f"acoustic_connector.layer_prompts.{j}"] = prompt
for i, layer in enumerate(layers):
    p = f"acoustic_connector.qformer.layer.{i}"
    for block in ("attention", "crossattention"):
        m = getattr(layer, block)
        for part in ("query", "key", "value"):
            tensors[f"{p}.{block}.self.{part}.weight"], tensors[f"{p}.{block}.self.{part}.bias"] = (
                m[part].weight,
                m[part].bias,
            )
        tensors[f"{p}.{block}.output.dense.weight"], tensors[f"{p}.{block}.output.dense.bias"] = (
            m["dense"].weight,
            m["dense"].bias,
        )
        tensors[f"{p}.{block}.output.LayerNorm.weight"], tensors[f"{p}.{block}.output.LayerNorm.bias"] = (
            m["LayerNorm"].weight,
            m["LayerNorm"].bias,
        )
    tensors[f"{p}.intermediate.dense.weight"], tensors[f"{p}.intermediate.dense.bias"] = (
        layer.intermediate.weight,
        layer.intermediate.bias,
    )
    tensors[f"{p}.output.dense.weight"], tensors[f"{p}.output.dense.bias"] = layer.output.weight, layer.output.bias
    tensors[f"{p}.output.LayerNorm.weight"], tensors[f"{p}.output.LayerNorm.bias"] = (
        layer.output_norm.weight,
        layer.output_norm.bias,
    )


def save(path, named):
    header, blobs, offset = {}, [], 0
    for key, value in named.items():
        arr = value.detach().numpy() if isinstance(value, torch.Tensor) else value
        b = np.ascontiguousarray(arr).tobytes()
        header[key] = {
            "dtype": "I64" if arr.dtype == np.int64 else "F32",
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(b)],
        }
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


os.makedirs(f"{OUT}/checkpoint", exist_ok=True)
save(f"{OUT}/checkpoint/model.safetensors", tensors)
json.dump(
    {
        "whisper_model_id": "openai/whisper-tiny",
        "prompt_size": P,
        "whisper_config": {"d_model": D, "encoder_attention_heads": HEADS, "encoder_layers": 4},
        "llm_config": {"d_model": LM},
    },
    open(f"{OUT}/checkpoint/config.json", "w"),
    indent=1,
)
reference = {
    "last_hidden_state": last,
    "feature_frames": np.array([FRAMES], dtype=np.int64),
    "audio_embeds": audio_embeds,
}
for k, h in zip(TAPS, hidden):
    reference[f"hidden_states.{k}"] = h
save(f"{OUT}/reference.safetensors", reference)
print("audio_embeds", tuple(audio_embeds.shape))
