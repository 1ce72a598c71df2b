"""The trainers' learning-rate schedule: linear warm-up, then a cosine from the peak down to a tenth."""
from __future__ import annotations

import math

import torch


def warmup_cosine(opt: torch.optim.Optimizer, steps: int, warmup: int = 50) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * (0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))) * 0.9 + 0.1)
    )
