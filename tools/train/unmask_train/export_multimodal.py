"""Export the vision tower and the audio encoder + dual adapter to ONNX, and describe them in the
bundle manifest's `vision` and `audio` sections (docs/bundle-format.md).

Graphs (opset 17, float32 I/O; `batch` is dynamic everywhere, the runtime feeds 1):

    vision.onnx         pixel_values [batch, 3, S, S]            -> image_embeds [batch, (S/(P·M))², lm_hidden]
    audio_encoder.onnx  input_features [batch, n_mels, frames]   -> last_hidden_state, hidden_states.{i} for i in
                                                                    acoustic_layers, each [batch, positions, d],
                                                                    positions = ceil(frames / 2)
    audio_adapter.onnx  last_hidden_state, hidden_states.{i}     -> audio_embeds [batch, tokens, lm_hidden],
                        (the encoder's outputs, by name)             tokens = num_queries + ceil(frames / 8)
                                                                    (with AudioConfig.snap_through each semantic
                                                                    token is the LM embedding nearest to it)

@unmask/vision's VisionEncoder feeds `pixel_values` from the UnmaskImageProcessor and reads
`image_embeds`; @unmask/audio's AudioEncoder feeds `input_features`, asks the encoder for the
outputs named by the adapter's inputs and reads `audio_embeds`.

`write_multimodal_bundle` is `export_lm.write_bundle` plus these graphs and sections.
"""
from __future__ import annotations

import os
from typing import List, Optional

import torch
from torch import nn

from .audio import AudioTower
from .export_lm import OPSET, write_bundle
from .lm import MaskedDiffusionLM
from .losses import snap_to_table
from .vision import VisionTower

VISION_GRAPH = "vision.onnx"
AUDIO_ENCODER_GRAPH = "audio_encoder.onnx"
AUDIO_ADAPTER_GRAPH = "audio_adapter.onnx"


def export_vision(tower: VisionTower, out_dir: str, file: str = VISION_GRAPH) -> None:
    """Encoder, merger and projector in one graph: pixel_values -> image_embeds."""
    c = tower.config
    os.makedirs(out_dir, exist_ok=True)
    example = torch.randn(1, c.num_channels, c.image_size, c.image_size)
    with torch.no_grad():
        torch.onnx.export(
            tower.eval(),
            (example,),
            os.path.join(out_dir, file),
            input_names=["pixel_values"],
            output_names=["image_embeds"],
            opset_version=OPSET,
            dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
        )


class _Encoder(nn.Module):
    def __init__(self, tower: AudioTower, names: List[str]):
        super().__init__()
        self.encoder = tower.encoder
        self.names = names

    def forward(self, input_features):
        states = self.encoder(input_features)
        return tuple(states[name] for name in self.names)


class _SnappedAdapter(nn.Module):
    """The dual adapter, its semantic tokens replaced by the nearest row of the LM's input embeddings
    (what a tower trained with --snap-through feeds the LM: losses.AudioStage.snapped)."""

    def __init__(self, tower: AudioTower, table: torch.Tensor):
        super().__init__()
        self.adapter, self.queries = tower.adapter, tower.config.num_queries
        self.register_buffer("table", table.detach().clone())

    def forward(self, *states):
        return snap_to_table(self.adapter(*states), self.table, self.queries)


def audio_encoder_outputs(tower: AudioTower) -> List[str]:
    """The encoder graph's outputs: last_hidden_state, then hidden_states.{i} for the tapped layers."""
    return tower.adapter.input_names


def export_audio(
    tower: AudioTower,
    out_dir: str,
    encoder_file: str = AUDIO_ENCODER_GRAPH,
    adapter_file: str = AUDIO_ADAPTER_GRAPH,
    example_frames: int = 50,
    table: Optional[torch.Tensor] = None,
) -> None:
    """The encoder graph and the adapter graph; the adapter's inputs carry the encoder's output names.
    `table`: the LM's input embeddings [vocab, lm_hidden], required when the tower snaps to them."""
    c = tower.config
    if c.snap_through and table is None:
        raise ValueError("this audio tower snaps its semantic tokens to the LM's embeddings: pass the LM's table")
    os.makedirs(out_dir, exist_ok=True)
    tower = tower.eval()
    names = audio_encoder_outputs(tower)
    features = torch.randn(1, c.num_mel_bins, example_frames)
    states_axes = {0: "batch", 1: "positions"}
    with torch.no_grad():
        torch.onnx.export(
            _Encoder(tower, names),
            (features,),
            os.path.join(out_dir, encoder_file),
            input_names=["input_features"],
            output_names=names,
            opset_version=OPSET,
            dynamic_axes={"input_features": {0: "batch", 2: "frames"}, **{n: states_axes for n in names}},
        )
        states = tower.encoder(features)
        torch.onnx.export(
            _SnappedAdapter(tower, table) if c.snap_through else tower.adapter,
            tuple(states[n] for n in names),
            os.path.join(out_dir, adapter_file),
            input_names=names,
            output_names=["audio_embeds"],
            opset_version=OPSET,
            dynamic_axes={**{n: states_axes for n in names}, "audio_embeds": {0: "batch", 1: "tokens"}},
        )


def vision_section(
    tower: VisionTower, *, graph: str = VISION_GRAPH, placeholder: str = "<|image|>", processor: Optional[dict] = None
) -> dict:
    """The manifest's `vision` section. `processor` overrides fields of the UnmaskImageProcessor config
    (e.g. `resample`, `resize_arithmetic`); size fields always come from the tower's config."""
    c = tower.config
    config = {
        "image_processor_type": "UnmaskImageProcessor",
        "do_resize": True,
        "resample": 3,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        **(processor or {}),
        "image_size": c.image_size,
        "patch_size": c.patch_size,
        "merge_size": c.merge_size,
    }
    return {
        "graph": graph,
        "placeholder": placeholder,
        "tokens_per_image": {"kind": "fixed", "count": c.tokens_per_image},
        "processor": config,
    }


def audio_section(
    tower: AudioTower,
    *,
    encoder: str = AUDIO_ENCODER_GRAPH,
    adapter: str = AUDIO_ADAPTER_GRAPH,
    placeholder: str = "<|audio|>",
    feature_extractor: Optional[dict] = None,
) -> dict:
    """The manifest's `audio` section: Whisper log-mel settings with `padding: "longest"` (the clip's own
    length, no 30 s padding); `feature_extractor` overrides fields, `feature_size` comes from the tower."""
    c = tower.config
    config = {
        "feature_extractor_type": "WhisperFeatureExtractor",
        "sampling_rate": 16000,
        "hop_length": 160,
        "n_fft": 400,
        "chunk_length": 30,
        "padding_value": 0.0,
        "padding": "longest",
        **(feature_extractor or {}),
        "feature_size": c.num_mel_bins,
    }
    return {"encoder": encoder, "adapter": adapter, "placeholder": placeholder, "feature_extractor": config}


def write_multimodal_bundle(
    lm: MaskedDiffusionLM,
    out_dir: str,
    *,
    vision: Optional[VisionTower] = None,
    audio: Optional[AudioTower] = None,
    processor: Optional[dict] = None,
    feature_extractor: Optional[dict] = None,
    extra: Optional[dict] = None,
    **bundle_args,
) -> dict:
    """`write_bundle` (the LM graphs, tokenizer, chat template, manifest) plus the vision and audio graphs
    and their manifest sections. The placeholders are `special_tokens["image"]` / `["audio"]`
    (strings, or the `token` of a {token, id} pair). Returns the manifest."""
    specials = bundle_args["special_tokens"]
    sections = dict(extra or {})
    if vision is not None:
        if vision.config.lm_hidden_size != lm.config.hidden_size:
            raise ValueError(
                f"vision lm_hidden_size {vision.config.lm_hidden_size} != LM hidden_size {lm.config.hidden_size}"
            )
        export_vision(vision, out_dir)
        sections["vision"] = vision_section(vision, placeholder=_token(specials, "image"), processor=processor)
    if audio is not None:
        if audio.config.lm_hidden_size != lm.config.hidden_size:
            raise ValueError(
                f"audio lm_hidden_size {audio.config.lm_hidden_size} != LM hidden_size {lm.config.hidden_size}"
            )
        export_audio(audio, out_dir)
        sections["audio"] = audio_section(
            audio, placeholder=_token(specials, "audio"), feature_extractor=feature_extractor
        )
    return write_bundle(lm, out_dir, extra=sections, **bundle_args)


def _token(specials: dict, key: str):
    if key not in specials:
        raise ValueError(f"special_tokens has no '{key}' token for the {key} placeholder")
    ref = specials[key]
    return ref["token"] if isinstance(ref, dict) else ref
