"""The trainers' learning-rate schedule: linear warm-up, then a cosine from the peak down to a tenth."""
from __future__ import annotations

import math

import torch


def warmup_cosine_factor(step: int, done: float, warmup: int) -> float:
    """The factor on the peak rate at `step` when `done` (0..1) of the run is behind."""
    return min(1.0, step / warmup) * (0.5 * (1 + math.cos(math.pi * min(1.0, done))) * 0.9 + 0.1)


def warmup_cosine(opt: torch.optim.Optimizer, steps: int, warmup: int = 50) -> torch.optim.lr_scheduler.LambdaLR:
    """The schedule over a fixed number of steps (LambdaLR counts from 0, so the first step has s + 1)."""
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: warmup_cosine_factor(s + 1, s / steps, warmup))


def set_warmup_cosine(opt: torch.optim.Optimizer, peak: float, step: int, done: float, warmup: int) -> None:
    """Sets every group's rate for `step` directly (runs whose length is a time budget, not a step count)."""
    for g in opt.param_groups:
        g["lr"] = peak * warmup_cosine_factor(step, done, warmup)
