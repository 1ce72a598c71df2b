"""The frozen text LM with media embeddings spliced into its input: shared by the vision and audio
stages (train_vision.py, train_audio.py) and the bundle assembly (assemble.py).

A multimodal example's sequence is the LM helper's layout (data.prompt_tokens) with the media
blocks replaced by placeholder positions:

    <|user|> [<|image|> × image rows] [<|audio|> × audio rows] prompt words <|assistant|> | canvas

`Spliced` wraps the LM so that `embed(ids)` returns the LM's own embeddings everywhere except at the
placeholder positions, which get the towers' outputs. The LM helper's loss (train_lm.llada_loss)
and decoding (decode.generate) then run unchanged on the wrapper.

The image block: with layout "pair" the LM reads 9 × (cell marker, cell content); the vision graph
emits those 18 rows itself, the markers being the LM's frozen marker embeddings (constants) and
the contents the tower's 9 projected tokens (`ImageBlock`). With layout "compound", the 9 tokens.
"""
from __future__ import annotations

import os
import random
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from .data import CANVAS_BUCKETS, fill_canvas, fitting_buckets, position_ids, prompt_tokens
from .lm import LMConfig, MaskedDiffusionLM
from .vocab import ASSISTANT, AUDIO, BLANK, CELL_MARKERS, IMAGE, USER, Vocab, split_words


def load_lm(path: str) -> Tuple[MaskedDiffusionLM, str]:
    """A checkpoint written by train_lm.save_checkpoint -> (frozen model in eval mode, layout)."""
    ckpt = torch.load(path, map_location="cpu")
    model = MaskedDiffusionLM(LMConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["state"])
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, ckpt.get("layout", "pair")


def start_stage(lm_path: str, out: str, seed: int) -> Tuple[MaskedDiffusionLM, str, Vocab]:
    """What every multimodal stage does first: one thread, oneDNN off (Debian's torch 1.13 returns
    garbage weight gradients, 1e16 then NaN, for the strided conv1d backward on this CPU; the
    native kernels are correct), the seed, the output folder, and the frozen LM with its vocab
    (taking cell numbers in `embed` for layout compound_pos)."""
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False
    torch.manual_seed(seed)
    os.makedirs(out, exist_ok=True)
    model, layout = load_lm(lm_path)
    vocab = Vocab.load(os.path.join(os.path.dirname(lm_path), "vocab.json"))
    if layout == "compound_pos":
        accept_cell_numbers(model, vocab)
    return model, layout, vocab


def cell_token_ids(vocab: Vocab) -> List[int]:
    """The cell content tokens (`empty` and every `{color}_{shape}`), in vocabulary order."""
    return [
        i
        for t, i in vocab.ids.items()
        if t == "empty" or (not t.startswith("<|") and t.count("_") == 1 and t != "change_language")
    ]


class ImageBlock(nn.Module):
    """Vision tower -> the LM's image block, by layout:
    - "pair": `markers` [9, hidden] interleaved as constants before each cell token (18 rows);
    - "compound_pos": `cell_positions` [9, hidden] (the LM's E[row] + E[column]) added to each cell token;
    - "compound": the 9 tokens as they are."""

    def __init__(
        self, tower: nn.Module, markers: Optional[torch.Tensor] = None, cell_positions: Optional[torch.Tensor] = None
    ):
        super().__init__()
        self.tower = tower
        self.config = tower.config
        self.register_buffer("markers", None if markers is None else markers.detach().clone())
        self.register_buffer("cell_positions", None if cell_positions is None else cell_positions.detach().clone())

    @property
    def rows(self) -> int:
        return self.config.tokens_per_image * (2 if self.markers is not None else 1)

    def block_and_cells(self, pixel_values: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(the image block, the tower's 9 cell tokens before any constant is added)."""
        cells = self.tower(pixel_values)
        if self.markers is not None:
            batch, n, hidden = cells.shape
            markers = self.markers.unsqueeze(0).expand(batch, n, hidden)
            return torch.stack([markers, cells], dim=2).reshape(batch, 2 * n, hidden), cells
        if self.cell_positions is not None:
            return cells + self.cell_positions, cells
        return cells, cells

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.block_and_cells(pixel_values)[0]


def marker_embeddings(model: MaskedDiffusionLM, vocab: Vocab) -> torch.Tensor:
    ids = torch.tensor([vocab.ids[m] for m in CELL_MARKERS])
    with torch.no_grad():
        return model.embed(ids.unsqueeze(0))[0]


def cell_position_embeddings(model: MaskedDiffusionLM, vocab: Vocab) -> torch.Tensor:
    """[9, hidden]: E[row word] + E[column word] of each cell in reading order, from the raw token table
    (the untied LM head of a checkpoint saved with factored embeddings), as layout compound_pos adds them."""
    from .factored import cell_position_matrix

    with torch.no_grad():
        return cell_position_matrix(vocab)[1:] @ model.lm_head.weight


def accept_cell_numbers(model: MaskedDiffusionLM, vocab: Vocab) -> None:
    """Lets a loaded (materialised) LM's `embed(ids, cells)` add the cell-position embeddings to
    scene tokens given their cell numbers (1..9, 0 elsewhere), as the training-time factored
    `embed` does for layout compound_pos, so text-form evaluation works on a frozen checkpoint."""
    table = torch.cat([torch.zeros(1, model.config.hidden_size), cell_position_embeddings(model, vocab)])
    plain = model.embed

    def embed(input_ids: torch.Tensor, cells: Optional[torch.Tensor] = None) -> torch.Tensor:
        out = plain(input_ids)
        return out if cells is None else out + nn.functional.embedding(cells, table)

    model.embed = embed


def image_block(tower: nn.Module, model: MaskedDiffusionLM, vocab: Vocab, layout: str) -> ImageBlock:
    if layout == "pair":
        return ImageBlock(tower, markers=marker_embeddings(model, vocab))
    if layout == "compound_pos":
        return ImageBlock(tower, cell_positions=cell_position_embeddings(model, vocab))
    if layout == "compound":
        return ImageBlock(tower)
    raise ValueError(f"unknown image layout {layout!r}")


class Spliced:
    """The LM with `media` [B, T, hidden] in place of its embeddings where `where` [B, T] is True."""

    def __init__(self, model: MaskedDiffusionLM, media: torch.Tensor, where: torch.Tensor):
        self.model, self.media, self.where = model, media, where

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.where(self.where.unsqueeze(-1), self.media, self.model.embed(ids))

    def __call__(self, *args, **kwargs):
        return self.model(*args, **kwargs)


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
    prompts = [media_prompt(e, image_rows, a, rng) for e, a in zip(examples, audio_rows)]
    p = max(len(x) for x in prompts)
    ids = torch.full((len(examples), p + canvas), vocab.pad, dtype=torch.long)
    attn = torch.zeros_like(ids)
    image_at, audio_at = [], []
    for i, (e, pr) in enumerate(zip(examples, prompts)):
        off = p - len(pr)
        ids[i, off:p] = torch.tensor(vocab.encode_words(pr))
        attn[i, off:] = 1
        image_at.append(off + 1 if e.get("image") is not None else -1)
        audio_at.append(
            off + 1 + (image_rows if e.get("image") is not None else 0) if e.get("audio") is not None else -1
        )
        fill_canvas(ids, i, p, e["answer"], vocab, with_answer)
    return ids, attn, p, image_at, audio_at


def splice(
    model: MaskedDiffusionLM,
    ids: torch.Tensor,
    image_at: Sequence[int],
    image_blocks: Optional[torch.Tensor],
    audio_at: Sequence[int],
    audio_blocks: Optional[Sequence[torch.Tensor]],
) -> Spliced:
    """`image_blocks` [n_with_image, rows, hidden] and `audio_blocks` (one [rows_i, hidden] per example with
    audio), in example order."""
    batch, total = ids.shape
    hidden = model.config.hidden_size
    rows_list, where_list = [], []
    ii = ai = 0
    for b in range(batch):
        pieces, cover = [], torch.zeros(total, dtype=torch.bool)
        row = torch.zeros(total, hidden)
        parts = []
        if image_at[b] >= 0:
            blk = image_blocks[ii]
            ii += 1
            parts.append((image_at[b], blk))
        if audio_at[b] >= 0:
            blk = audio_blocks[ai]
            ai += 1
            parts.append((audio_at[b], blk))
        # Assemble the row by concatenation so gradients flow into the blocks.
        pos = 0
        for at, blk in sorted(parts, key=lambda x: x[0]):
            pieces.append(row[pos:at])
            pieces.append(blk)
            cover[at : at + blk.shape[0]] = True
            pos = at + blk.shape[0]
        pieces.append(row[pos:])
        rows_list.append(torch.cat(pieces, 0))
        where_list.append(cover)
    return Spliced(model, torch.stack(rows_list), torch.stack(where_list))


def pick_canvas(examples: Sequence[dict], rng: random.Random, p_smallest: float = 0.6) -> int:
    """The smallest bucket fitting every answer (probability p_smallest) or a random larger one."""
    need = max(len(split_words(e["answer"])) for e in examples)
    fits = fitting_buckets(need)
    if not fits:
        raise ValueError("answer longer than the largest canvas")
    return fits[0] if rng.random() < p_smallest or len(fits) == 1 else rng.choice(fits[1:])


def by_type(examples: Sequence[dict]) -> Dict[str, List[dict]]:
    out: Dict[str, List[dict]] = defaultdict(list)
    for e in examples:
        out[e["type"]].append(e)
    return out


def exact_by_type(results: Sequence[Tuple[dict, str]]) -> Dict[str, float]:
    right: Dict[str, List[int]] = defaultdict(list)
    for e, text in results:
        right[e["type"]].append(int(text == e["answer"]))
    return {t: sum(v) / len(v) for t, v in sorted(right.items())}


def summary(acc: Dict[str, float]) -> str:
    return " ".join(f"{t}={v * 100:.0f}" for t, v in acc.items())


__all__ = [
    "load_lm",
    "cell_token_ids",
    "ImageBlock",
    "image_block",
    "marker_embeddings",
    "cell_position_embeddings",
    "Spliced",
    "encode",
    "splice",
    "pick_canvas",
    "by_type",
    "exact_by_type",
    "summary",
    "position_ids",
    "CANVAS_BUCKETS",
    "BLANK",
    "ASSISTANT",
]
