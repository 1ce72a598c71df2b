"""Tail averaging of a model's weights: the uniform mean of the weights after each step from a
given step on (Polyak averaging, as in SWA), kept beside the training weights and written as an
extra checkpoint. A small LM's per-task answers swing between nearby checkpoints late in training
(docs/default-model.md); the mean of the last steps' weights is one point that does not.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Dict, Iterator

import torch


class TailAverage:
    def __init__(self, model: torch.nn.Module, start: int):
        """Averages `model`'s parameters over the steps `start`, `start + 1`, ... (update(step))."""
        self.model, self.start, self.count = model, start, 0
        self.mean: Dict[str, torch.Tensor] = {}

    def update(self, step: int) -> None:
        """Folds the current weights in, from step `start` on (call after the optimiser step)."""
        if step < self.start:
            return
        self.count += 1
        with torch.no_grad():
            for name, p in self.model.named_parameters():
                if name not in self.mean:
                    self.mean[name] = p.detach().clone()
                else:
                    self.mean[name].add_(p.detach() - self.mean[name], alpha=1.0 / self.count)

    def state_dict(self) -> dict:
        return {"count": self.count, "mean": {k: v.clone() for k, v in self.mean.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.count, self.mean = state["count"], dict(state["mean"])

    @contextmanager
    def applied(self) -> Iterator[None]:
        """Within the block the model holds the averaged weights; its own come back after."""
        if not self.count:
            raise ValueError(f"no weights averaged yet (averaging starts at step {self.start})")
        saved = {name: p.detach().clone() for name, p in self.model.named_parameters()}
        with torch.no_grad():
            for name, p in self.model.named_parameters():
                p.copy_(self.mean[name])
        try:
            yield
        finally:
            with torch.no_grad():
                for name, p in self.model.named_parameters():
                    p.copy_(saved[name])
