"""A DIFFA-style audio front end at small scale: a Whisper-like encoder and the dual adapter,
written to be exported to ONNX as two graphs (encoder, adapter).

Encoder (Whisper's layout, smaller):
    input_features [batch, n_mels, frames]   (log-mel, any number of frames: no 30 s padding)
      -> conv1d(n_mels -> d, k 3, pad 1), GELU, conv1d(d -> d, k 3, stride 2, pad 1), GELU
                                              [batch, positions = ceil(frames / 2), d]
      -> + sinusoidal positions (Whisper's table, computed for the actual length)
      -> pre-norm transformer layers; hidden_states.{i} = output of layer i (1-based)
      -> final LayerNorm = last_hidden_state
    Returns last_hidden_state and the hidden states of `acoustic_layers`.

Dual adapter (DIFFA):
- semantic adapter on last_hidden_state: two conv1d (k 3, stride 2, pad 1; GELU between and after),
  i.e. ×4 downsampling of the encoder positions (×8 of the mel frames), then an MLP into the LM
  hidden size and a LayerNorm: ceil(frames / 8) tokens.
- acoustic adapter (a Q-Former) on the intermediate layers `acoustic_layers`: `num_queries` learned
  queries run through the Q-Former layers (self-attention among queries, cross-attention to one
  encoder layer's states, MLP) once per tapped layer (shared weights, a LayerNorm per layer on the
  states); the per-layer query outputs are fused with learned per-query softmax weights over the
  layers, then LayerNorm and a linear map into the LM hidden size: `num_queries` tokens.
- audio_embeds = acoustic tokens then semantic tokens: num_queries + ceil(frames / 8) tokens.

Optional `frame_lengths` let training batch clips of different lengths (right padding): padding
is zeroed after each convolution (as the convolutions' own zero padding would be for the clip
alone) and hidden from attention, so every row's valid outputs equal those of its clip run alone.
The exported graphs take one unpadded clip and have no length input.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import nn

from .vision import EncoderLayer, Mlp, SelfAttention


@dataclass
class AudioConfig:
    num_mel_bins: int = 80
    hidden_size: int = 64
    intermediate_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    #: Encoder layers (1-based) whose outputs the acoustic Q-Former reads.
    acoustic_layers: List[int] = field(default_factory=lambda: [1, 2, 3])
    num_queries: int = 8
    qformer_hidden_size: int = 64
    qformer_intermediate_size: int = 256
    qformer_num_layers: int = 1
    qformer_num_attention_heads: int = 4
    semantic_intermediate_size: int = 128
    #: The LM's hidden size: the width of audio_embeds.
    lm_hidden_size: int = 32
    layer_norm_eps: float = 1e-5
    #: The LM reads each semantic token snapped to the LM embedding nearest to it (train_audio
    #: --snap-through; the table is the LM's, so the snap lives in losses.AudioStage and the export).
    snap_through: bool = False
    #: CTC logits = -squared distance to the LM's embeddings × this / lm_hidden (train_audio
    #: --logit-scale; later stages follow the tower's). The softmax over the whole vocabulary must
    #: be able to be sharp at an embedding: at 8, a 1,200-token BPE table's nearest neighbours lie
    #: only 1.4-2.2 logits apart (docs/default-model.md, build 7).
    ctc_logit_scale: float = 8.0

    def __post_init__(self) -> None:
        if not self.acoustic_layers or any(not 1 <= i <= self.num_hidden_layers for i in self.acoustic_layers):
            raise ValueError(f"acoustic_layers must name encoder layers 1..{self.num_hidden_layers}")
        if len(set(self.acoustic_layers)) != len(self.acoustic_layers):
            raise ValueError("acoustic_layers must not repeat a layer")

    def tokens_for_frames(self, frames: int) -> int:
        """audio_embeds rows for a clip of `frames` mel frames: num_queries + ceil(frames / 8)."""
        return self.num_queries + semantic_tokens(frames)

    def to_dict(self) -> dict:
        return asdict(self)


def default_audio_config(hidden: int, layers: int, queries: int, lm_hidden: int) -> AudioConfig:
    """The default model's audio tower: a hidden × layers encoder, the Q-Former reading every
    encoder layer but the first, widths tied to `hidden`; audio_embeds `lm_hidden` wide."""
    return AudioConfig(
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        acoustic_layers=list(range(1, layers)),
        num_queries=queries,
        qformer_hidden_size=hidden,
        qformer_intermediate_size=2 * hidden,
        semantic_intermediate_size=2 * hidden,
        lm_hidden_size=lm_hidden,
    )


def _halve(n: int) -> int:
    """Length after a conv1d with kernel 3, stride 2, padding 1."""
    return (n - 1) // 2 + 1


def encoder_positions(frames: int) -> int:
    """Encoder positions (hidden-state rows) for `frames` mel frames: ceil(frames / 2)."""
    return _halve(frames)


def semantic_tokens(frames: int) -> int:
    """Semantic adapter tokens for `frames` mel frames: ceil(frames / 8)."""
    return _halve(_halve(_halve(frames)))


def hidden_state_name(layer: int) -> str:
    return f"hidden_states.{layer}"


def length_mask(lengths: torch.Tensor, size: int) -> torch.Tensor:
    """[batch, size] bool: position < lengths[b]."""
    return torch.arange(size, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def sinusoids(length: torch.Tensor, channels: int) -> torch.Tensor:
    """Whisper's sinusoidal position table [length, channels] (sin half, then cos half).
    `length` may be a traced scalar, so the exported graph computes the table for any length."""
    half = channels // 2
    increment = math.log(10000.0) / (half - 1)
    inv_timescales = torch.exp(-increment * torch.arange(half, dtype=torch.float32))
    times = torch.arange(length, dtype=torch.float32).unsqueeze(1) * inv_timescales.unsqueeze(0)
    return torch.cat([torch.sin(times), torch.cos(times)], dim=1)


class AudioEncoder(nn.Module):
    """input_features [batch, n_mels, frames] -> {last_hidden_state, hidden_states.i} [batch, positions, d]."""

    def __init__(self, config: AudioConfig):
        super().__init__()
        self.config = config
        c = config
        self.conv1 = nn.Conv1d(c.num_mel_bins, c.hidden_size, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(c.hidden_size, c.hidden_size, kernel_size=3, stride=2, padding=1)
        self.layers = nn.ModuleList(
            [
                EncoderLayer(c.hidden_size, c.num_attention_heads, c.intermediate_size, c.layer_norm_eps)
                for _ in range(c.num_hidden_layers)
            ]
        )
        self.layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(
        self, input_features: torch.Tensor, frame_lengths: Optional[torch.Tensor] = None
    ) -> Dict[str, torch.Tensor]:
        """`frame_lengths` [batch] (right-padded clips) zeroes and hides the padding; rows of the states
        past ceil(frame_lengths / 2) are then meaningless."""
        x = F.gelu(self.conv1(input_features))
        key_mask = None
        if frame_lengths is not None:
            x = x * length_mask(frame_lengths, x.shape[2]).unsqueeze(1).to(x.dtype)
        x = F.gelu(self.conv2(x)).transpose(1, 2)  # [batch, positions, d]
        if frame_lengths is not None:
            key_mask = length_mask((frame_lengths + 1) // 2, x.shape[1])
        x = x + sinusoids(x.shape[1], self.config.hidden_size)
        wanted = set(self.config.acoustic_layers)
        out: Dict[str, torch.Tensor] = {}
        for i, layer in enumerate(self.layers, start=1):
            x = layer(x, key_mask)
            if i in wanted:
                out[hidden_state_name(i)] = x
        out["last_hidden_state"] = self.layer_norm(x)
        return out


class QFormerLayer(nn.Module):
    """Queries: x + self-attn(LN(x)), x + cross-attn(LN(x), states), x + mlp(LN(x))."""

    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float):
        super().__init__()
        self.self_attn_layer_norm = nn.LayerNorm(hidden, eps=eps)
        self.self_attn = SelfAttention(hidden, heads)
        self.cross_attn_layer_norm = nn.LayerNorm(hidden, eps=eps)
        self.cross_attn = SelfAttention(hidden, heads)
        self.final_layer_norm = nn.LayerNorm(hidden, eps=eps)
        self.mlp = Mlp(hidden, intermediate)

    def forward(self, queries: torch.Tensor, states: torch.Tensor, key_mask: Optional[torch.Tensor]) -> torch.Tensor:
        x = queries + self.self_attn(self.self_attn_layer_norm(queries))
        x = x + self.cross_attn(self.cross_attn_layer_norm(x), states, key_mask)
        return x + self.mlp(self.final_layer_norm(x))


class AcousticAdapter(nn.Module):
    """Q-Former over several encoder layers, fused by learned per-query layer weights."""

    def __init__(self, config: AudioConfig):
        super().__init__()
        c = config
        self.query_embeds = nn.Parameter(torch.randn(c.num_queries, c.qformer_hidden_size) * 0.02)
        # One LayerNorm per tapped layer (their scales differ), then a shared map to the Q-Former width.
        self.state_layer_norms = nn.ModuleList(
            [nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps) for _ in c.acoustic_layers]
        )
        self.state_proj = nn.Linear(c.hidden_size, c.qformer_hidden_size)
        self.layers = nn.ModuleList(
            [
                QFormerLayer(
                    c.qformer_hidden_size, c.qformer_num_attention_heads, c.qformer_intermediate_size, c.layer_norm_eps
                )
                for _ in range(c.qformer_num_layers)
            ]
        )
        # layer_weights[q, l]: query q's logit for tapped layer l; softmax over l.
        self.layer_weights = nn.Parameter(torch.zeros(c.num_queries, len(c.acoustic_layers)))
        self.layer_norm = nn.LayerNorm(c.qformer_hidden_size, eps=c.layer_norm_eps)
        self.out_proj = nn.Linear(c.qformer_hidden_size, c.lm_hidden_size)

    def forward(self, states: List[torch.Tensor], key_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        batch = states[0].shape[0]
        per_layer = []
        for norm, layer_states in zip(self.state_layer_norms, states):
            context = self.state_proj(norm(layer_states))
            q = self.query_embeds.unsqueeze(0).expand(batch, -1, -1)
            for layer in self.layers:
                q = layer(q, context, key_mask)
            per_layer.append(q)
        stacked = torch.stack(per_layer, dim=2)  # [batch, queries, layers, d_q]
        weights = torch.softmax(self.layer_weights, dim=-1).unsqueeze(0).unsqueeze(-1)  # [1, queries, layers, 1]
        fused = (stacked * weights).sum(dim=2)
        return self.out_proj(self.layer_norm(fused))


class SemanticAdapter(nn.Module):
    """last_hidden_state [batch, positions, d] -> [batch, ceil(positions / 4), lm_hidden]."""

    def __init__(self, config: AudioConfig):
        super().__init__()
        c = config
        self.conv1 = nn.Conv1d(c.hidden_size, c.hidden_size, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv1d(c.hidden_size, c.hidden_size, kernel_size=3, stride=2, padding=1)
        self.mlp = Mlp(c.hidden_size, c.semantic_intermediate_size, c.lm_hidden_size)
        self.layer_norm = nn.LayerNorm(c.lm_hidden_size, eps=c.layer_norm_eps)

    def forward(self, last_hidden_state: torch.Tensor, position_lengths: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = last_hidden_state.transpose(1, 2)
        if position_lengths is not None:
            x = x * length_mask(position_lengths, x.shape[2]).unsqueeze(1).to(x.dtype)
        x = F.gelu(self.conv1(x))
        if position_lengths is not None:
            x = x * length_mask((position_lengths + 1) // 2, x.shape[2]).unsqueeze(1).to(x.dtype)
        x = F.gelu(self.conv2(x)).transpose(1, 2)
        return self.layer_norm(self.mlp(x))


class DualAdapter(nn.Module):
    """Encoder states -> audio_embeds [batch, num_queries + ceil(positions / 4), lm_hidden] (acoustic, then semantic)."""

    def __init__(self, config: AudioConfig):
        super().__init__()
        self.config = config
        self.acoustic = AcousticAdapter(config)
        self.semantic = SemanticAdapter(config)

    @property
    def input_names(self) -> List[str]:
        """The encoder outputs this adapter reads, in the order `forward` takes them."""
        return ["last_hidden_state", *[hidden_state_name(i) for i in self.config.acoustic_layers]]

    def forward(
        self,
        last_hidden_state: torch.Tensor,
        *acoustic_states: torch.Tensor,
        position_lengths: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """`position_lengths` [batch]: valid encoder positions per row (right padding)."""
        key_mask = None if position_lengths is None else length_mask(position_lengths, last_hidden_state.shape[1])
        acoustic = self.acoustic(list(acoustic_states), key_mask)
        semantic = self.semantic(last_hidden_state, position_lengths)
        return torch.cat([acoustic, semantic], dim=1)


class AudioTower(nn.Module):
    """Encoder and dual adapter together (training and the PyTorch reference)."""

    def __init__(self, config: AudioConfig):
        super().__init__()
        self.config = config
        self.encoder = AudioEncoder(config)
        self.adapter = DualAdapter(config)

    def forward(self, input_features: torch.Tensor, frame_lengths: Optional[torch.Tensor] = None) -> torch.Tensor:
        """input_features [batch, n_mels, frames] -> audio_embeds [batch, tokens, lm_hidden].

        With `frame_lengths` [batch] (right-padded clips), row b's first
        `tokens_for_frames(frame_lengths[b])` rows equal the output for its clip alone; the rest
        (semantic tokens of the padding) are meaningless."""
        states = self.encoder(input_features, frame_lengths)
        position_lengths = None if frame_lengths is None else (frame_lengths + 1) // 2
        return self.adapter(*[states[name] for name in self.adapter.input_names], position_lengths=position_lengths)
