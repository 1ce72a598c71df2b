"""The PyTorch peer of the benchmark: runs the reference generation loop
(tools/train/unmask_train/reference_generate.py, greedy fixed-step low-confidence decoding, no
cache) on the prompts the TypeScript run decoded, and reports each request's latency and
canvas on stdout as JSON lines (a header, then one line per prompt as it finishes, so a run cut
short by the time limit still reports the prompts it finished).

  OMP_NUM_THREADS=N /usr/bin/python3 tools/bench/peer.py JOB.json

JOB.json: {"weights": {...}, "threads": N, "prompts": [{"ids": [...], "splices": [...]}, ...],
"gen_length", "steps", "block_length", "mask_id", "eos_id", "warmup"}. A splice
{"offset", "count", "data"} is image or audio features (count × hidden floats, computed by the
TypeScript run's media towers) that replace the token embeddings at those prompt positions,
as the runtime splices them; media encoding is timed on neither side. `weights` says where the model comes from:
  {"kind": "tiny"}              the tiny test bundle's model (make_test_bundle.tiny_model())
  {"kind": "tiny-multimodal"}   the tiny multimodal bundle's LM (make_multimodal_test_bundle.py:
                                torch.manual_seed(0), then the same LMConfig)
  {"kind": "lm-pt", "path": F}  a checkpoint written by train_lm (lm.pt: config + state), the default
                                model's LM (loaded with unmask_train.spliced.load_lm)
  {"kind": "hf", "path": DIR}   a Llama/Qwen2-layout checkpoint (config.json + model.safetensors)
  {"kind": "state", "path": F, "config": {...}}
                                lm.py parameter names in a float32 safetensors file and the LMConfig
                                fields (what peer.ts rebuilds from a bundle's ONNX initializers)
"""
from __future__ import annotations

import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.join(HERE, "..", "train")
sys.path.insert(0, TRAIN)

from unmask_train.lm import LMConfig, MaskedDiffusionLM  # noqa: E402
from unmask_train.reference_generate import generate  # noqa: E402


def load_model(weights: dict) -> MaskedDiffusionLM:
    kind = weights.get("kind")
    if kind == "tiny":
        from make_test_bundle import tiny_model

        return tiny_model()
    if kind == "tiny-multimodal":
        torch.manual_seed(0)
        return MaskedDiffusionLM(
            LMConfig(
                vocab_size=64,
                hidden_size=32,
                intermediate_size=64,
                num_hidden_layers=2,
                num_attention_heads=4,
                num_key_value_heads=2,
                head_dim=8,
                max_position_embeddings=128,
            )
        ).eval()
    if kind == "lm-pt":
        from unmask_train.checkpoints import load_lm

        return load_lm(weights["path"])[0]
    if kind == "hf":
        from unmask_train.export_lm import load_hf_checkpoint

        return load_hf_checkpoint(weights["path"])
    if kind == "state":
        from unmask_train.export_lm import read_safetensors

        model = MaskedDiffusionLM(LMConfig(**weights["config"]))
        state = {name: torch.from_numpy(array) for name, array in read_safetensors(weights["path"]).items()}
        model.load_state_dict(state, strict=True)
        return model.eval()
    raise ValueError(f"peer: unknown weights kind {kind!r} (tiny, tiny-multimodal, lm-pt, hf, state)")


def splicing(model: MaskedDiffusionLM, splices: list):
    """model.embed with the prompt's media features written over their placeholder positions."""
    embed = type(model).embed.__get__(model)
    features = [
        (sp["offset"], sp["count"], torch.tensor(sp["data"], dtype=torch.float32).view(sp["count"], -1))
        for sp in splices
    ]

    def spliced(ids: torch.Tensor) -> torch.Tensor:
        out = embed(ids)
        for offset, count, data in features:
            out[:, offset : offset + count] = data
        return out

    return spliced


def run(model: MaskedDiffusionLM, prompt: dict, args: tuple):
    if prompt.get("splices"):
        model.embed = splicing(model, prompt["splices"])
    try:
        return generate(model, prompt["ids"], *args)
    finally:
        model.__dict__.pop("embed", None)


def main() -> None:
    with open(sys.argv[1]) as f:
        job = json.load(f)
    torch.set_num_threads(int(job["threads"]))
    model = load_model(job["weights"])
    args = (job["gen_length"], job["steps"], job["block_length"], job["mask_id"], job["eos_id"])
    for prompt in job["prompts"][: job.get("warmup", 1)]:
        run(model, prompt, args)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for prompt in job["prompts"]:
        started = time.perf_counter()
        out = run(model, prompt, args)
        ms = (time.perf_counter() - started) * 1000
        print(
            json.dumps(
                {"canvas": out.canvas, "forward_passes": out.forward_passes, "ms": ms, "min_margin": out.min_margin}
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
