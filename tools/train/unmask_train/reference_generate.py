"""The PyTorch reference generation loop: LLaDA's fixed-step low-confidence decoding, greedy.

It mirrors the TypeScript engine's `low_confidence` strategy at temperature 0 with no cache
(libs/core/src/decoding), so the two can be compared token for token:
- the canvas is the prompt followed by `gen_length` masks, decoded in blocks of `block_length`
  left to right, `steps // num_blocks` steps per block;
- a block's masks are spread evenly over its steps, the remainder one each on the first steps
  (at least one token per step);
- each step predicts every masked position of the block with argmax (the mask token itself is
  excluded), scores it by its softmax probability, and commits the most confident ones (ties
  broken by position);
- end-of-text prediction (`eos_fill`): after a committed EOS, every later answer position
  becomes EOS.
The loop also returns the smallest decision margin it met (confidence gap at the commit
cut-off, top-1/top-2 logit gap), so callers can avoid near-ties that float rounding could flip.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

import torch

from .lm import MaskedDiffusionLM


@dataclass
class Generation:
    canvas: List[int]
    forward_passes: int
    min_margin: float


def transfer_schedule(mask_count: int, steps: int) -> List[int]:
    base, remainder = divmod(mask_count, steps)
    return [base + (1 if i < remainder else 0) for i in range(steps)]


@torch.no_grad()
def generate(model: MaskedDiffusionLM, prompt: List[int], gen_length: int, steps: int, block_length: int,
             mask_id: int, eos_id: int, eos_fill: bool = True) -> Generation:
    assert gen_length % block_length == 0, "block_length must divide gen_length"
    num_blocks = gen_length // block_length
    assert steps % num_blocks == 0, "steps must be a multiple of the number of blocks"
    steps_per_block = steps // num_blocks
    p = len(prompt)
    x = list(prompt) + [mask_id] * gen_length
    passes = 0
    min_margin = float("inf")
    for b in range(num_blocks):
        start, end = p + b * block_length, p + (b + 1) * block_length
        masked = [i for i in range(start, end) if x[i] == mask_id]
        if not masked:
            continue
        schedule = transfer_schedule(len(masked), steps_per_block)
        step = 0
        while masked:
            ids = torch.tensor([x])
            logits = model(model.embed(ids))[0][0].double()
            passes += 1
            logits[:, mask_id] = float("-inf")
            top2 = torch.topk(logits, 2, dim=-1)
            probs = torch.softmax(logits, dim=-1)
            scored = []
            for i in masked:
                token = int(top2.indices[i, 0])
                min_margin = min(min_margin, float(top2.values[i, 0] - top2.values[i, 1]))
                scored.append((float(probs[i, token]), i, token))
            scored.sort(key=lambda s: (-s[0], s[1]))
            k = max(1, schedule[step] if step < len(schedule) else 1)
            if k < len(scored):
                min_margin = min(min_margin, scored[k - 1][0] - scored[k][0])
            for _, i, token in sorted(scored[:k], key=lambda s: s[1]):
                if x[i] != mask_id:
                    continue  # filled by an earlier EOS in this step
                x[i] = token
                if eos_fill and token == eos_id:
                    for j in range(i + 1, p + gen_length):
                        x[j] = eos_id
            masked = [i for i in range(start, end) if x[i] == mask_id]
            step += 1
    return Generation(canvas=x[p:], forward_passes=passes, min_margin=min_margin)
