"""Writes the test fixtures of libs/core from the Python reference model.

1. libs/core/test-fixtures/tiny-bundle/: a complete bundle around a tiny random
   MaskedDiffusionLM (word-level tokenizer of 64 tokens, hidden 32, 2 layers, 4 heads, 2 KV
   heads), plus tiny-reference.safetensors beside it: logits PyTorch computes for a few
   forward passes (rows of different lengths, a cached prefix, a non-contiguous dual cache)
   that the TypeScript tests repeat through ONNX and compare.
2. libs/core/test-fixtures/llama-bidirectional/: the bidirectional Llama fixture of
   /work/shared/fixtures/hf exported into the LM graph contract, with the reference tensors
   its tests need.

Run from the repository root:  OMP_NUM_THREADS=1 /usr/bin/python3 tools/train/make_test_bundle.py
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unmask_train.export_lm import (  # noqa: E402 (after the sys.path line above)
    export_lm,
    load_hf_checkpoint,
    read_safetensors,
    write_bundle,
    write_safetensors,
)  # noqa: E402
from unmask_train.lm import LMConfig, MaskedDiffusionLM  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "libs", "core", "test-fixtures")
HF_LLAMA = "/work/shared/fixtures/hf/llama_bidirectional"

SPECIALS = [
    "<|pad|>",
    "<|eos|>",
    "<|mask|>",
    "<|unk|>",
    "<|bos|>",
    "<|user|>",
    "<|assistant|>",
    "<|system|>",
    "<|image|>",
    "<|audio|>",
]
WORDS = (
    "the a an is are was of to and in on for with what which who how why yes no one two three four five six "
    "seven eight nine ten cat dog red blue green sky sea big small answer question number colour ? . ,"
).split()


def tokenizer_json(vocab: dict) -> dict:
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": vocab[t],
                "content": t,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for t in SPECIALS
        ],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<|unk|>"},
    }


CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|> {{ message['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def forward(model, ids, positions=None, past=None, mask=None):
    """One row; `positions` is a list (1-D rotary) or a list of 3 lists (M-RoPE)."""
    ids_t = torch.tensor([ids], dtype=torch.int64)
    if positions is None:
        pos_t = None
    elif isinstance(positions[0], list):
        pos_t = torch.tensor(positions, dtype=torch.int64).unsqueeze(1)  # [3, 1, seq]
    else:
        pos_t = torch.tensor([positions], dtype=torch.int64)
    mask_t = None if mask is None else torch.tensor([mask], dtype=torch.int64)
    with torch.no_grad():
        return model(model.embed(ids_t), mask_t, pos_t, past)


def select(presents, indices):
    idx = torch.tensor(indices, dtype=torch.int64)
    return [(k[:, :, idx], v[:, :, idx]) for k, v in presents]


def tiny_vocab() -> dict:
    vocab = {t: i for i, t in enumerate(SPECIALS + WORDS)}
    assert len(vocab) <= 64
    for i in range(len(vocab), 64):
        vocab[f"w{i}"] = i
    return vocab


def tiny_model(mrope: bool = False) -> MaskedDiffusionLM:
    """The tiny random model of the test bundle, rebuilt deterministically (seed 0)."""
    torch.manual_seed(0)
    config = LMConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
        max_position_embeddings=128,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        mrope_section=[2, 1, 1] if mrope else None,
    )
    model = MaskedDiffusionLM(config)
    with torch.no_grad():  # norms away from 1 so that a wrong norm shows in the logits
        for name, p in model.named_parameters():
            if name.endswith("layernorm.weight") or name == "norm.weight":
                p.uniform_(0.5, 1.5)
    return model.eval()


def make_tiny_bundle(mrope: bool = False) -> None:
    """The tiny bundle; with `mrope`, the same with M-RoPE (sections [2, 1, 1]) in tiny-mrope/."""
    out = os.path.join(FIXTURES, "tiny-mrope" if mrope else "tiny-bundle")
    os.makedirs(out, exist_ok=True)
    vocab = tiny_vocab()
    model = tiny_model(mrope)
    write_bundle(
        model,
        out,
        name="tiny-random-mrope" if mrope else "tiny-random",
        description="A tiny randomly initialised masked-diffusion LM for tests (make_test_bundle.py).",
        tokenizer=tokenizer_json(vocab),
        chat_template=CHAT_TEMPLATE,
        special_tokens={
            "mask": {"token": "<|mask|>", "id": vocab["<|mask|>"]},
            "eos": "<|eos|>",
            "pad": vocab["<|pad|>"],
            "bos": "<|bos|>",
            "image": "<|image|>",
            "audio": "<|audio|>",
        },
    )

    rng = np.random.default_rng(1)
    ids = lambda n: [int(x) for x in rng.integers(10, 64, size=n)]  # noqa: E731
    if mrope:
        write_mrope_reference(model, ids)
        return
    ref = {}
    # A. rows of different lengths, each run alone.
    a, b = ids(7), ids(4)
    ref["a.input_ids"], ref["a.logits"] = np.array(a), forward(model, a)[0][0].numpy()
    ref["b.input_ids"], ref["b.logits"] = np.array(b), forward(model, b)[0][0].numpy()
    # Sanity: the padded batch gives the same logits (the contract's padding rule).
    with torch.no_grad():
        padded = torch.tensor([a, b + [0, 0, 0]])
        mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3])
        pos = torch.tensor([list(range(7)), list(range(7))])
        batch_logits = model(model.embed(padded), mask, pos)[0]
    assert torch.allclose(batch_logits[1, :4], torch.tensor(ref["b.logits"]), atol=1e-5)
    # B. prefix cache, the exactly-cached case: keys/values of positions 0..5 kept from a full
    # forward, then positions 6..10 recomputed with the same tokens == the full forward.
    c = ids(11)
    full_logits, presents = forward(model, c)
    ref["c.input_ids"], ref["c.logits"] = np.array(c), full_logits[0].numpy()
    seg_logits, _ = forward(model, c[6:], list(range(6, 11)), select(presents, list(range(6))))
    assert np.abs(seg_logits[0].numpy() - ref["c.logits"][6:]).max() < 1e-5
    # C. dual cache: pass 1 over canvas d1 keeps positions 0..3 and 8..11; pass 2 recomputes the
    # block 4..7 with new tokens d2 against that (stale, non-contiguous) cache.
    d1 = ids(12)
    d2 = d1[:4] + ids(4) + d1[8:]
    _, presents = forward(model, d1)
    kept = select(presents, [0, 1, 2, 3, 8, 9, 10, 11])
    dual_logits, dual_presents = forward(model, d2[4:8], [4, 5, 6, 7], kept)
    ref["d1.input_ids"], ref["d2.input_ids"], ref["d.logits"] = np.array(d1), np.array(d2), dual_logits[0].numpy()
    # Pass 3 reuses a cache kept from pass 2 as ranges [0,4) [8,12) [4,8) of past ++ segment,
    # i.e. positions 0..3, 4..7 (new), 8..11 and recomputes the last two positions.
    kept3 = select(dual_presents, [0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7])
    d3 = ids(2)
    logits3, _ = forward(model, d3, [12, 13], kept3)
    ref["d3.input_ids"], ref["d3.logits"] = np.array(d3), logits3[0].numpy()
    write_safetensors(
        os.path.join(FIXTURES, "tiny-reference.safetensors"),
        {k: (v.astype(np.int64) if v.dtype.kind == "i" else v.astype(np.float32)) for k, v in ref.items()},
    )


def write_mrope_reference(model, ids) -> None:
    # Three text tokens, a 2×2 image at temporal index 3, three more text tokens (Qwen2-VL layout).
    t = [0, 1, 2, 3, 3, 3, 3, 5, 6, 7]
    h = [0, 1, 2, 3, 3, 4, 4, 5, 6, 7]
    w = [0, 1, 2, 3, 4, 3, 4, 5, 6, 7]
    e = ids(10)
    logits, presents = forward(model, e, [t, h, w])
    # The 1-D positions of text-only rows mean "all three components equal".
    f = ids(6)
    f_logits, _ = forward(model, f, [list(range(6))] * 3)
    # Prefix cache: positions 0..6 kept from the full forward, the last three recomputed.
    seg, _ = forward(model, e[7:], [t[7:], h[7:], w[7:]], select(presents, list(range(7))))
    assert np.abs(seg[0].numpy() - logits[0, 7:].numpy()).max() < 1e-5
    write_safetensors(
        os.path.join(FIXTURES, "tiny-mrope-reference.safetensors"),
        {
            "e.input_ids": np.array(e, dtype=np.int64),
            "e.position_ids": np.array([t, h, w], dtype=np.int64),
            "e.logits": logits[0].numpy(),
            "f.input_ids": np.array(f, dtype=np.int64),
            "f.logits": f_logits[0].numpy(),
        },
    )


def make_llama_fixture() -> None:
    out = os.path.join(FIXTURES, "llama-bidirectional")
    model = load_hf_checkpoint(os.path.join(HF_LLAMA, "model"))
    ref = read_safetensors(os.path.join(HF_LLAMA, "reference.safetensors"))
    ids = torch.from_numpy(ref["input_ids"].astype(np.int64))
    key_mask = torch.from_numpy(ref["key_mask"].astype(np.int64))
    with torch.no_grad():
        full = model(model.embed(ids))[0].numpy()
        keypad = model(model.embed(ids), key_mask)[0].numpy()
    print(
        "llama torch vs reference: bidirectional",
        np.abs(full - ref["logits_bidirectional"]).max(),
        "keypad",
        np.abs(keypad - ref["logits_bidirectional_keypad"]).max(),
    )
    export_lm(model, out)
    with open(os.path.join(HF_LLAMA, "model", "config.json")) as f:
        hf = json.load(f)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(hf, f, indent=2)
    write_safetensors(
        os.path.join(out, "reference.safetensors"),
        {
            "input_ids": ref["input_ids"].astype(np.int64),
            "key_mask": ref["key_mask"].astype(np.int64),
            "logits_bidirectional": ref["logits_bidirectional"].astype(np.float32),
            "logits_bidirectional_keypad": ref["logits_bidirectional_keypad"].astype(np.float32),
        },
    )


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_tiny_bundle()
    make_tiny_bundle(mrope=True)
    make_llama_fixture()
    print("wrote", FIXTURES)
