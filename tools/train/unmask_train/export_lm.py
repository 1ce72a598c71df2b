"""Export a MaskedDiffusionLM to the two ONNX graphs of the LM graph contract.

    embed.onnx  input_ids int64 [batch, seq] -> inputs_embeds float32 [batch, seq, hidden]
    lm.onnx     inputs_embeds, attention_mask, position_ids, logits_indices,
                past_key_values.{i}.key / .value  ->  logits, present.{i}.key / .value

See docs/lm-graph-contract.md. Uses torch.onnx.export (opset 17) with dynamic batch, sequence,
past and index axes; it needs no `onnx` Python package.

Also loads a Hugging Face Llama-layout checkpoint (config.json + model.safetensors) into the
reference model, which is how the bidirectional Llama fixture is exported.

Usage:
    python -m unmask_train.export_lm --hf DIR --out DIR
"""
from __future__ import annotations

import argparse
import json
import os
import struct
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import nn

from .lm import LMConfig, MaskedDiffusionLM

OPSET = 17

_NP_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path: str) -> Dict[str, np.ndarray]:
    """Minimal safetensors reader (no `safetensors` package here). BF16 is widened to float32."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    data = raw[8 + length :]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        chunk = data[begin:end]
        if entry["dtype"] == "BF16":
            bits = np.frombuffer(chunk, dtype=np.uint16).astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            array = np.frombuffer(chunk, dtype=_NP_DTYPES[entry["dtype"]])
        out[name] = array.reshape(entry["shape"]).copy()
    return out


def write_safetensors(path: str, tensors: Dict[str, np.ndarray]) -> None:
    """Safetensors with F32, I64 and U8 tensors."""
    names = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64", np.dtype(np.uint8): "U8"}
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        blob = array.tobytes()
        header[name] = {
            "dtype": names[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def config_from_hf(hf: dict) -> LMConfig:
    heads = hf["num_attention_heads"]
    rope = hf.get("rope_parameters") or {}
    return LMConfig(
        vocab_size=hf["vocab_size"],
        hidden_size=hf["hidden_size"],
        intermediate_size=hf["intermediate_size"],
        num_hidden_layers=hf["num_hidden_layers"],
        num_attention_heads=heads,
        num_key_value_heads=hf.get("num_key_value_heads", heads),
        head_dim=hf.get("head_dim") or hf["hidden_size"] // heads,
        max_position_embeddings=hf.get("max_position_embeddings", 4096),
        rope_theta=float(rope.get("rope_theta", hf.get("rope_theta", 10000.0))),
        rms_norm_eps=hf.get("rms_norm_eps", 1e-6),
        tie_word_embeddings=bool(hf.get("tie_word_embeddings", False)),
        attention_bias=bool(hf.get("attention_bias", hf.get("model_type") == "qwen2")),
    )


def load_hf_checkpoint(model_dir: str) -> MaskedDiffusionLM:
    """A Llama- or Qwen2-layout checkpoint (single model.safetensors) as a MaskedDiffusionLM."""
    with open(os.path.join(model_dir, "config.json")) as f:
        config = config_from_hf(json.load(f))
    model = MaskedDiffusionLM(config)
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    state = {}
    for name, array in weights.items():
        key = name[len("model.") :] if name.startswith("model.") else name
        state[key] = torch.from_numpy(array.astype(np.float32))
    if config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not (config.tie_word_embeddings and m == "lm_head.weight")]
    if missing or unexpected:
        raise ValueError(f"checkpoint mismatch: missing {missing}, unexpected {unexpected}")
    return model.eval()


class _Embed(nn.Module):
    def __init__(self, model: MaskedDiffusionLM):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model.embed(input_ids)


class _LM(nn.Module):
    def __init__(self, model: MaskedDiffusionLM):
        super().__init__()
        self.model = model

    def forward(self, inputs_embeds, attention_mask, position_ids, logits_indices, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.model(inputs_embeds, attention_mask, position_ids, past, logits_indices)
        flat: List[torch.Tensor] = [logits]
        for key, value in presents:
            flat += [key, value]
        return tuple(flat)


def export_lm(model: MaskedDiffusionLM, out_dir: str) -> None:
    """Writes out_dir/embed.onnx and out_dir/lm.onnx."""
    config = model.config
    model = model.eval()
    os.makedirs(out_dir, exist_ok=True)
    batch, seq, past, n = 2, 3, 2, 2
    ids = torch.zeros(batch, seq, dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(
            _Embed(model),
            (ids,),
            os.path.join(out_dir, "embed.onnx"),
            input_names=["input_ids"],
            output_names=["inputs_embeds"],
            opset_version=OPSET,
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "inputs_embeds": {0: "batch", 1: "seq"}},
        )
        layers = config.num_hidden_layers
        positions = torch.arange(past, past + seq, dtype=torch.int64).unsqueeze(0).expand(batch, seq)
        mrope = config.mrope_section is not None
        if mrope:  # position_ids [3, batch, seq]
            positions = positions.unsqueeze(0).expand(3, batch, seq)
        past_names, present_names = [], []
        for i in range(layers):
            past_names += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
            present_names += [f"present.{i}.key", f"present.{i}.value"]
        example = (
            torch.randn(batch, seq, config.hidden_size),
            torch.ones(batch, past + seq, dtype=torch.int64),
            positions.contiguous(),
            torch.zeros(batch, n, dtype=torch.int64),
            *[torch.randn(batch, config.num_key_value_heads, past, config.head_dim) for _ in past_names],
        )
        dynamic = {
            "inputs_embeds": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "total"},
            "position_ids": {1: "batch", 2: "seq"} if mrope else {0: "batch", 1: "seq"},
            "logits_indices": {0: "batch", 1: "n"},
            "logits": {0: "batch", 1: "n"},
        }
        for name in past_names:
            dynamic[name] = {0: "batch", 2: "past"}
        for name in present_names:
            dynamic[name] = {0: "batch", 2: "total"}
        torch.onnx.export(
            _LM(model),
            example,
            os.path.join(out_dir, "lm.onnx"),
            input_names=["inputs_embeds", "attention_mask", "position_ids", "logits_indices", *past_names],
            output_names=["logits", *present_names],
            opset_version=OPSET,
            dynamic_axes=dynamic,
        )


def write_bundle(
    model: MaskedDiffusionLM,
    out_dir: str,
    *,
    name: str,
    tokenizer: dict,
    chat_template: str,
    special_tokens: dict,
    shifted_logits: bool = False,
    description: str = "",
    extra: Optional[dict] = None,
    max_batch_size: Optional[int] = None,
) -> dict:
    """Writes a complete bundle (docs/bundle-format.md): both graphs, tokenizer.json,
    chat_template.jinja and manifest.json. `special_tokens` maps mask/eos/pad (and optionally
    bos/image/audio) to token strings, ids or {"token", "id"}; `extra` adds manifest sections
    (vision, audio); `max_batch_size` is the runtime's default rows per pass (lm.max_batch_size,
    chosen from a measurement). Returns the manifest."""
    config = model.config
    export_lm(model, out_dir)
    whole = getattr(model, "whole_words", None)  # input-only rows (wordvec.py): embed.onnx reads more ids
    reads = {} if whole is None or len(whole) == 0 else {"input_vocab_size": config.vocab_size + len(whole)}
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, indent=1)
    with open(os.path.join(out_dir, "chat_template.jinja"), "w") as f:
        f.write(chat_template)
    lm = {"contract": "unmask-lm/1", "embed_graph": "embed.onnx", "graph": "lm.onnx", "shifted_logits": shifted_logits}
    if config.mrope_section is not None:
        lm["position_ids"] = "mrope"
    if max_batch_size is not None:
        lm["max_batch_size"] = max_batch_size
    manifest = {
        "format": 1,
        "name": name,
        **({"description": description} if description else {}),
        "tokenizer": "tokenizer.json",
        "chat_template": "chat_template.jinja",
        "lm": lm,
        "sizes": {
            "vocab_size": config.vocab_size,
            **reads,
            "hidden_size": config.hidden_size,
            "num_layers": config.num_hidden_layers,
            "num_attention_heads": config.num_attention_heads,
            "num_key_value_heads": config.num_key_value_heads,
            "head_dim": config.head_dim,
            "max_positions": config.max_position_embeddings,
        },
        "special_tokens": special_tokens,
        **(extra or {}),
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--hf", required=True, help="folder with config.json and model.safetensors (Llama or Qwen2 layout)"
    )
    parser.add_argument("--out", required=True, help="folder to write embed.onnx and lm.onnx into")
    args = parser.parse_args()
    export_lm(load_hf_checkpoint(args.hf), args.out)


if __name__ == "__main__":
    main()
