"""The real-width benchmark's PyTorch engine: the project's reference model
(tools/train/unmask_train/lm.py, MaskedDiffusionLM) with the synthetic checkpoint's weights, serving
forwards over the benchmark's line protocol (engine-protocol.ts: one JSON request per line on
stdin, one JSON reply per line on stdout).

  OMP_NUM_THREADS=N /usr/bin/python3 tools/bench/real-width/torch_engine.py CHECKPOINT_DIR FORMAT THREADS

FORMAT is fp32 (float32 weights), bf16 (bfloat16 weights under CPU autocast) or int8
(torch.ao.quantization.quantize_dynamic of every nn.Linear: int8 weights per tensor, activations
quantised per call, fbgemm). The embedding table is kept in bfloat16 in every format and only
its looked-up rows are widened (it is a lookup, not a matrix product). Weights are loaded one
tensor at a time (and quantised one module at a time) so that the peak stays near the model's
own size.
"""
from __future__ import annotations

import contextlib
import json
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "train"))

from unmask_train.lm import LMConfig, MaskedDiffusionLM  # noqa: E402

ROWS = 4096


def memory() -> dict:
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    return {
        "rss": int(status["VmRSS"].split()[0]) * 1024,
        "peakRss": int(status["VmHWM"].split()[0]) * 1024,
    }


class Checkpoint:
    """The bf16 tensors of a sharded safetensors checkpoint, read through memory maps."""

    def __init__(self, folder: str):
        with open(os.path.join(folder, "model.safetensors.index.json")) as f:
            weight_map = json.load(f)["weight_map"]
        self.entries = {}
        for file in sorted(set(weight_map.values())):
            path = os.path.join(folder, file)
            with open(path, "rb") as f:
                (length,) = struct.unpack("<Q", f.read(8))
                header = json.loads(f.read(length))
            for name, entry in header.items():
                if name == "__metadata__":
                    continue
                if entry["dtype"] != "BF16":
                    raise ValueError(f"{file}: {name} is {entry['dtype']}; the engine reads bf16 only")
                start = 8 + length + entry["data_offsets"][0]
                self.entries[name] = (path, start, tuple(entry["shape"]))

    def bits(self, name: str) -> np.memmap:
        path, start, shape = self.entries[name]
        return np.memmap(path, dtype=np.uint16, mode="r", offset=start, shape=shape)

    def float32(self, name: str) -> torch.Tensor:
        bits = self.bits(name)
        out = torch.empty(bits.shape, dtype=torch.float32)
        flat = out.view(bits.shape[0], -1) if bits.ndim > 1 else out.view(1, -1)
        rows = bits.reshape(flat.shape)
        for first in range(0, rows.shape[0], ROWS):
            chunk = rows[first : first + ROWS].astype(np.uint32) << 16
            flat[first : first + ROWS] = torch.from_numpy(chunk.view(np.float32))
        return out

    def bfloat16(self, name: str) -> torch.Tensor:
        return torch.from_numpy(np.array(self.bits(name)).view(np.int16)).view(torch.bfloat16)


def reference_names(config: dict, layers: int) -> dict:
    """Reference-model parameter name -> checkpoint tensor name."""
    names = {}
    if config.get("model_type") == "llada":
        root = "model.transformer"
        for i in range(layers):
            p = f"{root}.blocks.{i}"
            names.update(
                {
                    f"layers.{i}.input_layernorm.weight": f"{p}.attn_norm.weight",
                    f"layers.{i}.self_attn.q_proj.weight": f"{p}.q_proj.weight",
                    f"layers.{i}.self_attn.k_proj.weight": f"{p}.k_proj.weight",
                    f"layers.{i}.self_attn.v_proj.weight": f"{p}.v_proj.weight",
                    f"layers.{i}.self_attn.o_proj.weight": f"{p}.attn_out.weight",
                    f"layers.{i}.post_attention_layernorm.weight": f"{p}.ff_norm.weight",
                    f"layers.{i}.mlp.gate_proj.weight": f"{p}.ff_proj.weight",
                    f"layers.{i}.mlp.up_proj.weight": f"{p}.up_proj.weight",
                    f"layers.{i}.mlp.down_proj.weight": f"{p}.ff_out.weight",
                }
            )
        names["norm.weight"] = f"{root}.ln_f.weight"
        names["lm_head.weight"] = f"{root}.ff_out.weight"
        return names
    for i in range(layers):
        p = f"model.layers.{i}"
        for part in [
            "input_layernorm.weight",
            "self_attn.q_proj.weight",
            "self_attn.q_proj.bias",
            "self_attn.k_proj.weight",
            "self_attn.k_proj.bias",
            "self_attn.v_proj.weight",
            "self_attn.v_proj.bias",
            "self_attn.o_proj.weight",
            "post_attention_layernorm.weight",
            "mlp.gate_proj.weight",
            "mlp.up_proj.weight",
            "mlp.down_proj.weight",
        ]:
            names[f"layers.{i}.{part}"] = f"{p}.{part}"
    names["norm.weight"] = "model.norm.weight"
    names["lm_head.weight"] = "lm_head.weight"
    return names


def lm_config(config: dict) -> LMConfig:
    if config.get("model_type") == "llada":
        return LMConfig(
            vocab_size=config["vocab_size"],
            hidden_size=config["d_model"],
            intermediate_size=config["mlp_hidden_size"],
            num_hidden_layers=config["n_layers"],
            num_attention_heads=config["n_heads"],
            num_key_value_heads=config["n_kv_heads"],
            head_dim=config["d_model"] // config["n_heads"],
            max_position_embeddings=config["max_sequence_length"],
            rope_theta=config["rope_theta"],
            rms_norm_eps=config["rms_norm_eps"],
            tie_word_embeddings=False,
        )
    return LMConfig(
        vocab_size=config["vocab_size"],
        hidden_size=config["hidden_size"],
        intermediate_size=config["intermediate_size"],
        num_hidden_layers=config["num_hidden_layers"],
        num_attention_heads=config["num_attention_heads"],
        num_key_value_heads=config["num_key_value_heads"],
        head_dim=config["hidden_size"] // config["num_attention_heads"],
        max_position_embeddings=config["max_position_embeddings"],
        rope_theta=config["rope_theta"],
        rms_norm_eps=config["rms_norm_eps"],
        tie_word_embeddings=False,
        attention_bias=True,
    )


@contextlib.contextmanager
def no_init():
    """Build modules without initialising their parameters (torch.empty pages stay untouched)."""
    saved = (nn.Linear.reset_parameters, nn.Embedding.reset_parameters)
    nn.Linear.reset_parameters = lambda self: None
    nn.Embedding.reset_parameters = lambda self: None
    try:
        yield
    finally:
        nn.Linear.reset_parameters, nn.Embedding.reset_parameters = saved


def set_parameter(model: nn.Module, name: str, value: torch.Tensor) -> None:
    owner, _, leaf = name.rpartition(".")
    module = model.get_submodule(owner)
    setattr(module, leaf, nn.Parameter(value, requires_grad=False))


def load(folder: str, fmt: str):
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    cfg = lm_config(config)
    checkpoint = Checkpoint(folder)
    with no_init():
        model = MaskedDiffusionLM(cfg).eval()
    model.embed_tokens.weight = nn.Parameter(torch.empty(0), requires_grad=False)
    embed_name = "model.transformer.wte.weight" if config.get("model_type") == "llada" else "model.embed_tokens.weight"
    table = checkpoint.bfloat16(embed_name)
    names = reference_names(config, cfg.num_hidden_layers)
    linear_dtype = torch.bfloat16 if fmt == "bf16" else torch.float32
    modules = [f"layers.{i}" for i in range(cfg.num_hidden_layers)] + ["norm", "lm_head"]
    for prefix in modules:
        for name, source in names.items():
            if name.startswith(prefix + "."):
                value = checkpoint.float32(source)
                is_matrix = value.dim() == 2
                set_parameter(model, name, value.to(linear_dtype) if is_matrix else value)
        if fmt == "int8":
            module = model.get_submodule(prefix)
            quantized = torch.ao.quantization.quantize_dynamic(
                module if prefix != "lm_head" else nn.Sequential(module), {nn.Linear}, dtype=torch.qint8
            )
            if prefix == "lm_head":
                model.lm_head = quantized[0]
            else:
                parent, _, leaf = prefix.rpartition(".")
                setattr(model.get_submodule(parent) if parent else model, leaf, quantized)
    return model, table, cfg


def main() -> None:
    folder, fmt, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if fmt not in ("fp32", "bf16", "int8"):
        raise SystemExit(f"torch engine: format {fmt!r} is not fp32, bf16 or int8")
    torch.set_num_threads(threads)
    baseline = memory()["rss"]
    started = time.perf_counter()
    model, table, cfg = load(folder, fmt)
    ready = {
        "ready": True,
        "loadSeconds": time.perf_counter() - started,
        "baselineRss": baseline,
        **memory(),
        "engine": f"PyTorch {torch.__version__} (reference model, {fmt}, {torch.get_num_threads()} threads)",
    }
    print(json.dumps(ready), flush=True)
    span = max(1, min(cfg.vocab_size, 120000) - 1000)
    autocast = torch.cpu.amp.autocast if fmt == "bf16" else contextlib.nullcontext
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            if request["op"] == "exit":
                break
            if request["op"] == "memory":
                print(json.dumps(memory()), flush=True)
                continue
            positions, logits, rows = request["positions"], request["logits"], request.get("rows", 1)
            ids = torch.tensor([[300 + (i * 7919) % span for i in range(positions)]] * rows)
            wanted = torch.arange(max(0, positions - logits), positions).unsqueeze(0).expand(rows, -1)
            t = time.perf_counter()
            with torch.no_grad(), autocast():
                out, _ = model(table[ids].float(), logits_indices=wanted)
            seconds = time.perf_counter() - t
            print(json.dumps({"seconds": seconds, "argmax": out[0].argmax(-1).tolist()}), flush=True)
        except Exception as error:  # noqa: BLE001 - reported to the benchmark, which carries on
            print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)


if __name__ == "__main__":
    main()
