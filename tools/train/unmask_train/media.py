"""The media sets of the multimodal stages (tools/datagen's image and audio sets, paired with prompts
by tools/train/make_pairs.ts) and their token layout.

A multimodal example's sequence is the text LM's layout (data.prompt_tokens) with the media blocks
replaced by placeholder positions, which spliced.splice fills with the towers' outputs:

    <|user|> [<|image|> × image rows] [<|audio|> × audio rows] prompt words <|assistant|> | canvas
"""
from __future__ import annotations

import os
import random
from typing import List, Optional, Sequence

import numpy as np
import torch

from .data import fill_canvas, fitting_buckets, load_jsonl, prompt_tokens
from .vocab import AUDIO, IMAGE, USER, Vocab


# The task mix of the audio stages (train_audio --stage 1 / 2; train_joint starts from stage 2's).
AUDIO_STAGE_TYPES = {
    1: {"transcribe": 1.0},
    2: {"transcribe": 0.5, "intent": 1.0, "respond": 1.0, "spoken_question": 1.5, "refusal": 0.3},
}


def load_pixels(folder: str) -> np.ndarray:
    """An image set's pixel_values.npy [N, 3, S, S], memory-mapped."""
    return np.load(os.path.join(folder, "pixel_values.npy"), mmap_mode="r")


def cell_targets(scenes, vocab: Vocab) -> torch.Tensor:
    """[N, 9] token ids of each scene's cell content tokens."""
    return torch.tensor([[vocab.cell_id(c) for c in s["cells"]] for s in scenes], dtype=torch.long)


class Clips:
    """input_features.npy (time-major, float16) + frames.npy of a tools/datagen audio set."""

    def __init__(self, folder: str):
        self.features = np.load(os.path.join(folder, "input_features.npy"), mmap_mode="r")
        self.frames = np.load(os.path.join(folder, "frames.npy")).astype(np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.frames)])
        self.clips = load_jsonl(os.path.join(folder, "clips.jsonl"))

    def batch(self, indices: Sequence[int]):
        """[B, n_mels, max_frames] (zero right padding) and frame lengths [B]."""
        lengths = [int(self.frames[i]) for i in indices]
        out = np.zeros((len(indices), self.features.shape[1], max(lengths)), dtype=np.float32)
        for b, i in enumerate(indices):
            out[b, :, : lengths[b]] = np.asarray(
                self.features[self.offsets[i] : self.offsets[i + 1]], dtype=np.float32
            ).T
        return torch.from_numpy(out), torch.tensor(lengths)


def media_prompt(e: dict, image_rows: int, audio_rows: int, rng: Optional[random.Random] = None) -> List[str]:
    """The example's prompt tokens with placeholder runs for its image and audio."""
    text = prompt_tokens({**e, "cells": None, "spoken": None}, "compound", rng)
    assert text[0] == USER
    media = [IMAGE] * (image_rows if e.get("image") is not None else 0) + [AUDIO] * (
        audio_rows if e.get("audio") is not None else 0
    )
    return [USER] + media + text[1:]


def encode(
    examples: Sequence[dict],
    vocab: Vocab,
    canvas: int,
    image_rows: int,
    audio_rows: Sequence[int],
    rng: Optional[random.Random] = None,
    with_answer: bool = True,
):
    """Left-padded prompts + canvas, as data.encode_batch. Returns ids, attention mask, the canvas start,
    and for each example the offset of its image block and of its audio block (or -1)."""
    # Only added tokens and the typed prompt: its whole words are read whole, as the runtime reads them.
    prompts = [
        vocab.encode_words(media_prompt(e, image_rows, a, rng), whole=True) for e, a in zip(examples, audio_rows)
    ]
    p = max(len(x) for x in prompts)
    ids = torch.full((len(examples), p + canvas), vocab.pad, dtype=torch.long)
    attn = torch.zeros_like(ids)
    image_at, audio_at = [], []
    for i, (e, pr) in enumerate(zip(examples, prompts)):
        off = p - len(pr)
        ids[i, off:p] = torch.tensor(pr)
        attn[i, off:] = 1
        image_at.append(off + 1 if e.get("image") is not None else -1)
        audio_at.append(
            off + 1 + (image_rows if e.get("image") is not None else 0) if e.get("audio") is not None else -1
        )
        fill_canvas(ids, i, p, e["answer"], vocab, with_answer)
    return ids, attn, p, image_at, audio_at


def pick_canvas(examples: Sequence[dict], vocab: Vocab, rng: random.Random, p_smallest: float = 0.6) -> int:
    """The smallest bucket fitting every answer (probability p_smallest) or a random larger one."""
    need = max(vocab.text_len(e["answer"]) for e in examples)
    fits = fitting_buckets(need)
    if not fits:
        raise ValueError("answer longer than the largest canvas")
    return fits[0] if rng.random() < p_smallest or len(fits) == 1 else rng.choice(fits[1:])
