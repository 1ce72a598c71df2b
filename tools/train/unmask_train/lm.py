"""A LLaDA-style masked-diffusion language model, written to be exported to ONNX.

The network is a plain pre-norm transformer with the choices LLaDA makes:
- bidirectional attention (no causal mask; an attention mask only hides padding keys),
- RMSNorm, rotary position embeddings (the "rotate half" convention of Llama),
- a SwiGLU feed-forward block, no biases (optional q/k/v biases for Qwen2 / Dream layouts),
- grouped-query attention (``num_key_value_heads`` may divide ``num_attention_heads``),
- an LM head that is either tied to the token embedding or separate,
- optionally multimodal rotary (M-RoPE, Qwen2-VL / Dimple): ``mrope_section`` splits the rotary
  frequencies into temporal, height and width parts driven by ``position_ids`` of shape
  [3, batch, seq].

``forward`` follows the LM graph contract of docs/lm-graph-contract.md: it takes input
embeddings (so image or audio features can replace token embeddings), an attention mask over
``past + seq`` keys, explicit position ids, the keys/values of a cached prefix, and the indices
of the positions whose logits are wanted. It returns those logits and the keys/values of
``past + seq`` (keys after rotary), which the runtime keeps as the next cache.

Training (tools/train) uses the same class: call ``forward`` with no past and with
``logits_indices`` covering the masked positions.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

KeyValue = Tuple[torch.Tensor, torch.Tensor]


@dataclass
class LMConfig:
    vocab_size: int = 64
    hidden_size: int = 32
    intermediate_size: int = 64
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 8
    max_position_embeddings: int = 256
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    tie_word_embeddings: bool = True
    attention_bias: bool = False
    # M-RoPE: sizes (in frequency pairs, summing to head_dim / 2) of the temporal, height and
    # width sections; None for ordinary 1-D rotary.
    mrope_section: Optional[List[int]] = None

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, size: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotary_cos_sin(
    position_ids: torch.Tensor, head_dim: int, theta: float, mrope_section: Optional[List[int]] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables [batch, seq, head_dim] for integer positions [batch, seq].

    With ``mrope_section`` the positions are [3, batch, seq] (temporal, height, width): frequency
    pair j takes its angle from the component whose section contains j.
    """
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = position_ids.to(torch.float32).unsqueeze(-1) * inv_freq
    if mrope_section is not None:
        parts = freqs.split(list(mrope_section), dim=-1)
        freqs = torch.cat([part[i] for i, part in enumerate(parts)], dim=-1)
    angles = torch.cat([freqs, freqs], dim=-1)
    return angles.cos(), angles.sin()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: [batch, heads, seq, head_dim]; cos/sin: [batch, seq, head_dim]."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1)


class Attention(nn.Module):
    def __init__(self, config: LMConfig):
        super().__init__()
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = config.head_dim
        if config.mrope_section is not None and sum(config.mrope_section) * 2 != config.head_dim:
            raise ValueError("mrope_section must sum to head_dim / 2")
        if self.heads % self.kv_heads != 0:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        h, bias = config.hidden_size, config.attention_bias
        self.q_proj = nn.Linear(h, self.heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(h, self.kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(h, self.kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.heads * self.head_dim, h, bias=False)

    def forward(self, x, cos, sin, key_allowed, past: Optional[KeyValue]):
        batch, seq, _ = x.shape
        q = self.q_proj(x).view(batch, seq, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, seq, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, seq, self.kv_heads, self.head_dim).transpose(1, 2)
        q = apply_rotary(q, cos, sin)
        k = apply_rotary(k, cos, sin)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        repeat = self.heads // self.kv_heads
        if repeat > 1:
            total = k.shape[2]
            k = (
                k.unsqueeze(2)
                .expand(batch, self.kv_heads, repeat, total, self.head_dim)
                .reshape(batch, self.heads, total, self.head_dim)
            )
            v = (
                v.unsqueeze(2)
                .expand(batch, self.kv_heads, repeat, total, self.head_dim)
                .reshape(batch, self.heads, total, self.head_dim)
            )
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        # key_allowed: [batch, 1, 1, past + seq]; hidden keys get the most negative float.
        scores = torch.where(key_allowed, scores, torch.tensor(torch.finfo(scores.dtype).min, dtype=scores.dtype))
        weights = torch.softmax(scores, dim=-1)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(batch, seq, self.heads * self.head_dim)
        return self.o_proj(out), present


class SwiGLU(nn.Module):
    def __init__(self, config: LMConfig):
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, config: LMConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.self_attn = Attention(config)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.mlp = SwiGLU(config)

    def forward(self, x, cos, sin, key_allowed, past):
        attn, present = self.self_attn(self.input_layernorm(x), cos, sin, key_allowed, past)
        x = x + attn
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, present


class MaskedDiffusionLM(nn.Module):
    """The model. Parameter names follow the Hugging Face Llama layout (minus the ``model.`` prefix)."""

    def __init__(self, config: LMConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList([Block(config) for _ in range(config.num_hidden_layers)])
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        if config.tie_word_embeddings:
            self.lm_head.weight = self.embed_tokens.weight

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        """input_ids int64 [batch, seq] -> inputs_embeds float32 [batch, seq, hidden]."""
        return self.embed_tokens(input_ids)

    def forward(
        self,
        inputs_embeds: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
        position_ids: Optional[torch.Tensor] = None,
        past_key_values: Optional[List[KeyValue]] = None,
        logits_indices: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, List[KeyValue]]:
        """
        inputs_embeds  float32 [batch, seq, hidden]
        attention_mask int64   [batch, past + seq]; 1 = real key, 0 = padding (hidden from every query)
        position_ids   int64   [batch, seq] ([3, batch, seq] with M-RoPE); defaults to past .. past + seq - 1
        past_key_values one (key, value) per layer, each [batch, kv_heads, past, head_dim]
        logits_indices int64   [batch, n]; segment offsets whose logits are returned (all when None)
        returns logits [batch, n, vocab] and one (key, value) per layer [batch, kv_heads, past + seq, head_dim]
        """
        batch, seq, _ = inputs_embeds.shape
        past_len = past_key_values[0][0].shape[2] if past_key_values else 0
        if attention_mask is None:
            attention_mask = torch.ones(batch, past_len + seq, dtype=torch.int64)
        if position_ids is None:
            position_ids = torch.arange(past_len, past_len + seq, dtype=torch.int64).unsqueeze(0).expand(batch, seq)
        if self.config.mrope_section is not None and position_ids.dim() == 2:
            position_ids = position_ids.unsqueeze(0).expand(3, batch, seq)
        cos, sin = rotary_cos_sin(position_ids, self.config.head_dim, self.config.rope_theta, self.config.mrope_section)
        key_allowed = (attention_mask != 0).unsqueeze(1).unsqueeze(2)
        x = inputs_embeds
        presents: List[KeyValue] = []
        for i, layer in enumerate(self.layers):
            x, present = layer(x, cos, sin, key_allowed, past_key_values[i] if past_key_values else None)
            presents.append(present)
        if logits_indices is not None:
            x = torch.gather(x, 1, logits_indices.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        return self.lm_head(self.norm(x)), presents
