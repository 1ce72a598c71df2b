"""Writes libs/core/test-fixtures/tiny-generate-reference.json: greedy fixed-step generations of
the tiny test model by the PyTorch reference loop, which the TypeScript engine must reproduce
token for token through ONNX. Cases whose decisions come within 1e-3 of a tie are skipped,
so float rounding between PyTorch and onnxruntime cannot flip them.

Run from the repository root:  OMP_NUM_THREADS=1 /usr/bin/python3 tools/train/make_generation_reference.py
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_test_bundle import FIXTURES, tiny_model, tiny_vocab  # noqa: E402
from unmask_train.reference_generate import generate  # noqa: E402

CONFIGS = [  # (gen_length, steps, block_length, eos_fill)
    (8, 8, 8, True),
    (8, 4, 8, True),
    (8, 8, 4, True),
    (12, 6, 4, False),
    (16, 16, 16, True),
]


def main() -> None:
    model = tiny_model()
    vocab = tiny_vocab()
    rng = np.random.default_rng(5)
    cases = []
    tried = 0
    while len(cases) < 2 * len(CONFIGS) and tried < 400:
        gen_length, steps, block_length, eos_fill = CONFIGS[len(cases) % len(CONFIGS)]
        tried += 1
        prompt = [int(t) for t in rng.integers(10, 64, size=int(rng.integers(3, 9)))]
        out = generate(model, prompt, gen_length, steps, block_length, vocab["<|mask|>"], vocab["<|eos|>"], eos_fill)
        if out.min_margin < 1e-3:
            continue
        cases.append(
            {
                "prompt_ids": prompt,
                "gen_length": gen_length,
                "steps": steps,
                "block_length": block_length,
                "eos_fill": eos_fill,
                "canvas": out.canvas,
                "forward_passes": out.forward_passes,
            }
        )
    path = os.path.join(FIXTURES, "tiny-generate-reference.json")
    with open(path, "w") as f:
        json.dump({"tried": tried, "cases": cases}, f, indent=1)
    print(f"{len(cases)} cases from {tried} prompts -> {path}")


if __name__ == "__main__":
    main()
