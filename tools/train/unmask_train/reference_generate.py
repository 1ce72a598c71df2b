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

As a command it decodes prompts with a train_lm checkpoint (vocab.json beside it) and writes the
token ids as JSON, for comparing an exported bundle's decoding with PyTorch's
(tools/train/training-smoke.test.ts):

  /usr/bin/python3 -m unmask_train.reference_generate --lm tmp/lm/lm.pt --gen-length 8 --steps 8 \
      --out ref.json "where is the circle" "what color is the star"
"""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass
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
def generate(
    model: MaskedDiffusionLM,
    prompt: List[int],
    gen_length: int,
    steps: int,
    block_length: int,
    mask_id: int,
    eos_id: int,
    eos_fill: bool = True,
) -> Generation:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lm", required=True, help="train_lm's lm.pt (vocab.json beside it)")
    ap.add_argument("--gen-length", type=int, default=8)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--block-length", type=int, help="default: --gen-length (one block)")
    ap.add_argument("--no-eos-fill", action="store_true")
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("prompts", nargs="+", help="user prompts, laid out as in training: <|user|> words <|assistant|>")
    args = ap.parse_args()
    from .data import encode_prompt  # the training layout of a text-only prompt
    from .checkpoints import load_lm
    from .vocab import Vocab

    torch.set_num_threads(1)
    model, layout = load_lm(args.lm)
    vocab = Vocab.load(os.path.join(os.path.dirname(args.lm), "vocab.json"))
    block = args.block_length or args.gen_length
    cases = []
    for prompt in args.prompts:
        ids = encode_prompt({"type": "", "prompt": prompt}, vocab, layout)
        out = generate(model, ids, args.gen_length, args.steps, block, vocab.mask, vocab.eos, not args.no_eos_fill)
        cases.append(
            {
                "prompt": prompt,
                "prompt_ids": ids,
                "gen_length": args.gen_length,
                "steps": args.steps,
                "block_length": block,
                "eos_fill": not args.no_eos_fill,
                **asdict(out),
            }
        )
    with open(args.out, "w") as f:
        json.dump({"cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
