"""Argument groups the stages' entry scripts share."""
from __future__ import annotations

import argparse
from typing import Dict


def run_args(ap: argparse.ArgumentParser, *, steps: int, lr: float, batch: int, eval_every: int = 500) -> None:
    """--out, --steps, --minutes, --batch, --lr, --eval-every, --seed, --checkpoint-every."""
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=steps)
    ap.add_argument("--minutes", type=float, default=0, help="stop after this many minutes (0 = no limit)")
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--eval-every", type=int, default=eval_every)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--checkpoint-every",
        type=int,
        default=100,
        help="write a resume point (resume.pt in --out) every this many steps; a run started again with the "
        "same arguments goes on from it (0: none)",
    )


def media_args(ap: argparse.ArgumentParser, *, audio: bool, images_required: bool) -> None:
    """The training and evaluation media sets (tools/datagen) and their pairs (make_pairs.ts)."""
    if audio:
        ap.add_argument("--audio", required=True)
    ap.add_argument("--images", required=images_required, help="image set the pairs' `image` indices refer to")
    ap.add_argument("--pairs", required=True)
    if audio:
        ap.add_argument("--eval-audio", required=True)
    ap.add_argument("--eval-images", required=images_required)
    ap.add_argument("--eval-pairs", required=True)


def parse_weights(text: str) -> Dict[str, float]:
    """`type=weight,type=weight` -> {type: weight}."""
    return {k: float(v) for k, v in (kv.split("=") for kv in text.split(",") if kv)}
