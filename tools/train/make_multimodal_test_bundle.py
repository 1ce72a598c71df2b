"""Writes the multimodal test fixture of libs/pipeline from the Python reference models.

libs/pipeline/test-fixtures/tiny-multimodal/: a complete bundle with the tiny random LM of
make_test_bundle.py (word-level tokenizer of 64 tokens, hidden 32), a tiny random Dimple-style
vision tower (vision.onnx: 96×96 input, 16-pixel patches, 2×2 merge -> 9 image tokens) and a
tiny random DIFFA-style audio encoder and dual adapter (audio_encoder.onnx, audio_adapter.onnx:
80 mel bins -> 4 acoustic + ceil(frames / 8) semantic tokens), and a chat template that renders
multimodal content parts ({type: 'text', text}, {type: 'image'}, {type: 'audio'}) as text and one
placeholder token per image or audio part.

libs/pipeline/test-fixtures/tiny-multimodal-reference.safetensors: what PyTorch computes for
fixed inputs, which the TypeScript tests repeat through ONNX and compare:
    image.rgb U8 [96, 96, 3]             a fixed image (already 96×96, so preprocessing does not resize)
    image.pixel_values F32 [3, 96, 96]   its preprocessing (rescale 1/255, normalise mean 0.5 std 0.5)
    image.image_embeds F32 [9, 32]       the vision tower's output
    audio_{a,b}.input_features F32 [80, frames]   fixed log-mel-like features (frames 100 and 37)
    audio_{a,b}.audio_embeds F32 [tokens, 32]     encoder + dual adapter output (tokens 17 and 9)

Run from the repository root:  OMP_NUM_THREADS=1 /usr/bin/python3 tools/train/make_multimodal_test_bundle.py
"""
from __future__ import annotations

import json
import os
import sys
from typing import Dict

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_test_bundle import SPECIALS, WORDS, tokenizer_json  # noqa: E402
from unmask_train.audio import AudioConfig, AudioTower  # noqa: E402
from unmask_train.export_lm import write_safetensors  # noqa: E402
from unmask_train.export_multimodal import write_multimodal_bundle  # noqa: E402
from unmask_train.lm import LMConfig, MaskedDiffusionLM  # noqa: E402
from unmask_train.vision import VisionConfig, VisionTower  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(ROOT, "libs", "pipeline", "test-fixtures")

# Message content is a string or a list of parts; an image or audio part renders as its placeholder
# token once (the pipeline expands it to the feature count), text parts as their text.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|> "
    "{% if message['content'] is string %}{{ message['content'] }} "
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }} "
    "{% elif part['type'] == 'image' %}<|image|> "
    "{% elif part['type'] == 'audio' %}<|audio|> "
    "{% endif %}{% endfor %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)

VISION = VisionConfig(
    image_size=96,
    patch_size=16,
    merge_size=2,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    projector_hidden_size=64,
    lm_hidden_size=32,
)
AUDIO = AudioConfig(
    num_mel_bins=80,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=4,
    num_attention_heads=4,
    acoustic_layers=[1, 2, 3],
    num_queries=4,
    qformer_hidden_size=32,
    qformer_intermediate_size=64,
    qformer_num_layers=1,
    qformer_num_attention_heads=4,
    semantic_intermediate_size=64,
    lm_hidden_size=32,
)


def perturb_norms(module: torch.nn.Module, generator: torch.Generator) -> None:
    """LayerNorm scales away from 1 and biases away from 0, layer-fusion logits away from uniform, so
    that a graph that drops or misplaces one of them differs from the reference."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if ("layer_norm" in name or "layernorm" in name or "state_layer_norms" in name) and name.endswith(
                ".weight"
            ):
                p.copy_(torch.rand(p.shape, generator=generator) + 0.5)
            elif ("layer_norm" in name or "layernorm" in name or "state_layer_norms" in name) and name.endswith(
                ".bias"
            ):
                p.copy_(torch.randn(p.shape, generator=generator) * 0.1)
            elif name.endswith("layer_weights") or name.endswith("query_embeds") or name.endswith("position_embedding"):
                p.copy_(torch.randn(p.shape, generator=generator))


def main() -> None:
    torch.set_num_threads(1)
    out = os.path.join(FIXTURES, "tiny-multimodal")
    os.makedirs(out, exist_ok=True)
    vocab = {t: i for i, t in enumerate(SPECIALS + WORDS)}
    for i in range(len(vocab), 64):
        vocab[f"w{i}"] = i

    torch.manual_seed(0)
    lm = MaskedDiffusionLM(
        LMConfig(
            vocab_size=64,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=8,
            max_position_embeddings=128,
        )
    ).eval()
    generator = torch.Generator().manual_seed(3)
    vision = VisionTower(VISION).eval()
    audio = AudioTower(AUDIO).eval()
    perturb_norms(vision, generator)
    perturb_norms(audio, generator)

    manifest = write_multimodal_bundle(
        lm,
        out,
        vision=vision,
        audio=audio,
        name="tiny-random-multimodal",
        description="A tiny random masked-diffusion LM with a Dimple-style vision tower and a DIFFA-style audio encoder "
        "and dual adapter, for tests (make_multimodal_test_bundle.py).",
        tokenizer=tokenizer_json(vocab),
        chat_template=CHAT_TEMPLATE,
        special_tokens={
            "mask": {"token": "<|mask|>", "id": vocab["<|mask|>"]},
            "eos": "<|eos|>",
            "pad": vocab["<|pad|>"],
            "bos": "<|bos|>",
            "image": "<|image|>",
            "audio": "<|audio|>",
        },
    )

    rng = np.random.default_rng(7)
    ref: Dict[str, np.ndarray] = {}
    # A smooth pattern plus noise, so neighbouring patches differ in more than noise.
    y, x = np.mgrid[0:96, 0:96]
    base = np.stack([x * 2.5, y * 2.5, (x + y) * 1.3], axis=-1)
    rgb = np.clip(base + rng.integers(-40, 41, size=(96, 96, 3)), 0, 255).astype(np.uint8)
    pixel_values = ((rgb.astype(np.float64) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1).astype(np.float32)
    with torch.no_grad():
        image_embeds = vision(torch.from_numpy(pixel_values).unsqueeze(0))[0].numpy()
    assert image_embeds.shape == (VISION.tokens_per_image, 32) == (9, 32)
    ref["image.rgb"], ref["image.pixel_values"], ref["image.image_embeds"] = rgb, pixel_values, image_embeds

    for key, frames in (("audio_a", 100), ("audio_b", 37)):
        # Whisper's log-mel lies in about [-1, 1.5] after its (x + 4) / 4 scaling.
        features = (rng.standard_normal((AUDIO.num_mel_bins, frames)) * 0.4 + 0.2).astype(np.float32)
        with torch.no_grad():
            embeds = audio(torch.from_numpy(features).unsqueeze(0))[0].numpy()
        assert embeds.shape == (AUDIO.tokens_for_frames(frames), 32), embeds.shape
        ref[f"{key}.input_features"], ref[f"{key}.audio_embeds"] = features, embeds

    write_safetensors(os.path.join(FIXTURES, "tiny-multimodal-reference.safetensors"), ref)
    print(json.dumps({"vision": manifest["vision"], "audio": manifest["audio"]}, indent=1))
    print("audio tokens: 100 frames ->", AUDIO.tokens_for_frames(100), "; 37 frames ->", AUDIO.tokens_for_frames(37))
    print("wrote", FIXTURES)


if __name__ == "__main__":
    main()
