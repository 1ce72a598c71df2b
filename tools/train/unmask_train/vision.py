"""A Dimple-style vision tower at small scale, written to be exported to ONNX as one graph.

    pixel_values [batch, 3, S, S]  (the UnmaskImageProcessor's output: resized to S×S, rescaled, normalised)
      -> conv patch stem (kernel = stride = patch_size)           [batch, (S/P)², vision_hidden]
      -> learned absolute position embeddings
      -> pre-norm transformer layers (bidirectional self-attention, GELU MLP), final LayerNorm
      -> 2×2 patch merger: the four patches of each merge cell concatenated  [batch, (S/(P·M))², 4·vision_hidden]
      -> MLP projector (Linear, GELU, Linear) into the LM hidden size
    image_embeds [batch, tokens, lm_hidden]

With the defaults (S 96, P 16, M 2) the patch grid is 6×6 and the merged grid 3×3: one token per
cell of the shapes world's 3×3 grid, in row-major order (token r·3 + c covers cell row r, column c).
The merger and projector together are Qwen2-VL's / Dimple's patch merger (LayerNorm, 2×2 concat,
two-layer MLP).

`EncoderLayer` (pre-norm self-attention + GELU MLP with biases) is shared with the audio encoder.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class VisionConfig:
    image_size: int = 96
    patch_size: int = 16
    merge_size: int = 2
    num_channels: int = 3
    hidden_size: int = 64
    intermediate_size: int = 256
    num_hidden_layers: int = 3
    num_attention_heads: int = 4
    #: Hidden width of the projector MLP (0: 4 × hidden_size, the merged feature width).
    projector_hidden_size: int = 0
    #: The LM's hidden size: the width of image_embeds.
    lm_hidden_size: int = 32
    layer_norm_eps: float = 1e-6

    def __post_init__(self) -> None:
        if self.image_size % (self.patch_size * self.merge_size) != 0:
            raise ValueError("image_size must be a multiple of patch_size × merge_size")
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError("hidden_size must be a multiple of num_attention_heads")

    @property
    def grid_size(self) -> int:
        """Patches per side."""
        return self.image_size // self.patch_size

    @property
    def merged_grid_size(self) -> int:
        """Image tokens per side after the merger."""
        return self.grid_size // self.merge_size

    @property
    def tokens_per_image(self) -> int:
        return self.merged_grid_size**2

    def to_dict(self) -> dict:
        return asdict(self)


class SelfAttention(nn.Module):
    """Multi-head attention with biases; `key_mask` [batch, keys] (True = attend) hides padding."""

    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.q_proj = nn.Linear(hidden, hidden)
        self.k_proj = nn.Linear(hidden, hidden)
        self.v_proj = nn.Linear(hidden, hidden)
        self.out_proj = nn.Linear(hidden, hidden)

    def forward(
        self, query: torch.Tensor, context: Optional[torch.Tensor] = None, key_mask: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        context = query if context is None else context
        batch, n_q, _ = query.shape
        n_k = context.shape[1]
        q = self.q_proj(query).view(batch, n_q, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(context).view(batch, n_k, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(context).view(batch, n_k, self.heads, self.head_dim).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        if key_mask is not None:
            allowed = key_mask.bool()[:, None, None, :]
            scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(batch, n_q, self.heads * self.head_dim)
        return self.out_proj(out)


class Mlp(nn.Module):
    def __init__(self, hidden: int, intermediate: int, out: Optional[int] = None):
        super().__init__()
        self.fc1 = nn.Linear(hidden, intermediate)
        self.fc2 = nn.Linear(intermediate, hidden if out is None else out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class EncoderLayer(nn.Module):
    """Pre-norm transformer encoder layer: x + attn(LN(x)), then x + mlp(LN(x))."""

    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float):
        super().__init__()
        self.self_attn_layer_norm = nn.LayerNorm(hidden, eps=eps)
        self.self_attn = SelfAttention(hidden, heads)
        self.final_layer_norm = nn.LayerNorm(hidden, eps=eps)
        self.mlp = Mlp(hidden, intermediate)

    def forward(self, x: torch.Tensor, key_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = x + self.self_attn(self.self_attn_layer_norm(x), key_mask=key_mask)
        return x + self.mlp(self.final_layer_norm(x))


def merge_patches(x: torch.Tensor, grid: int, merge: int, dim: int) -> torch.Tensor:
    """[batch, grid², dim] (patches row-major) -> [batch, (grid/merge)², merge²·dim]: each output row is
    one merge cell (row-major over cells), its merge×merge patches concatenated row-major.
    (Sizes are Python ints so the exported graph has static token and feature axes.)"""
    cells = grid // merge
    x = x.reshape(-1, cells, merge, cells, merge, dim).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, cells * cells, merge * merge * dim)


class VisionTower(nn.Module):
    """pixel_values [batch, 3, S, S] -> image_embeds [batch, tokens, lm_hidden]."""

    def __init__(self, config: VisionConfig):
        super().__init__()
        self.config = config
        c = config
        self.patch_embed = nn.Conv2d(c.num_channels, c.hidden_size, kernel_size=c.patch_size, stride=c.patch_size)
        self.position_embedding = nn.Parameter(torch.randn(c.grid_size**2, c.hidden_size) * 0.02)
        self.layers = nn.ModuleList(
            [
                EncoderLayer(c.hidden_size, c.num_attention_heads, c.intermediate_size, c.layer_norm_eps)
                for _ in range(c.num_hidden_layers)
            ]
        )
        self.post_layernorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        merged = c.hidden_size * c.merge_size**2
        self.projector = Mlp(merged, c.projector_hidden_size or merged, c.lm_hidden_size)

    def encode(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """The ViT alone: [batch, 3, S, S] -> patch features [batch, (S/P)², vision_hidden] (after the final LayerNorm)."""
        c = self.config
        if pixel_values.shape[-1] != c.image_size or pixel_values.shape[-2] != c.image_size:
            raise ValueError(
                f"pixel_values must be [batch, 3, {c.image_size}, {c.image_size}], got {list(pixel_values.shape)}"
            )
        x = self.patch_embed(pixel_values).flatten(2).transpose(1, 2)  # [batch, patches, D], row-major patches
        x = x + self.position_embedding
        for layer in self.layers:
            x = layer(x)
        return self.post_layernorm(x)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        c = self.config
        merged = merge_patches(self.encode(pixel_values), c.grid_size, c.merge_size, c.hidden_size)
        return self.projector(merged)
