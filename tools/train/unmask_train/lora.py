"""LoRA on the text LM's attention projections: the documented deviation of issue 4 ("a small
trainable addition to the LM (e.g. LoRA on attention) during the multimodal stages").

`add_lora(model, rank)` wraps q/k/v/o of every layer in place: y = W x + (alpha / rank) · B A x,
with A random, B zero (the model starts as it was) and W frozen. `merge_lora(model)` folds B A
into W and unwraps, so the exported LM keeps the plain LLaDA layout and the ONNX graph contract
(nothing new at inference, the graph has the same shapes).
"""
from __future__ import annotations

import math
from typing import List

import torch
from torch import nn

from .lm import MaskedDiffusionLM

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj")


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.t() @ self.lora_b.t()) * self.scale

    def merged(self) -> nn.Linear:
        with torch.no_grad():
            self.base.weight += (self.lora_b @ self.lora_a) * self.scale
        return self.base


def add_lora(model: MaskedDiffusionLM, rank: int, alpha: float) -> List[nn.Parameter]:
    """Wraps every attention projection; returns the new trainable parameters."""
    params: List[nn.Parameter] = []
    for layer in model.layers:
        for name in PROJECTIONS:
            wrapped = LoRALinear(getattr(layer.self_attn, name), rank, alpha)
            setattr(layer.self_attn, name, wrapped)
            params += [wrapped.lora_a, wrapped.lora_b]
    return params


def merge_lora(model: MaskedDiffusionLM) -> None:
    for layer in model.layers:
        for name in PROJECTIONS:
            module = getattr(layer.self_attn, name)
            if isinstance(module, LoRALinear):
                setattr(layer.self_attn, name, module.merged())


__all__ = ["LoRALinear", "add_lora", "merge_lora"]
