"""The frozen text LM with media embeddings spliced into its input: shared by the vision and audio
stages (train_vision.py, train_audio.py, train_joint.py) and the bundle assembly (assemble.py).

A multimodal example's sequence has placeholder positions for its media blocks (media.encode).
`Spliced` wraps the LM so that `embed(ids)` returns the LM's own embeddings everywhere except at the
placeholder positions, which get the towers' outputs. The LM helper's loss (train_lm.llada_loss)
and decoding (decode.generate) then run unchanged on the wrapper.

The image block: with layout "pair" the LM reads 9 × (cell marker, cell content); the vision graph
emits those 18 rows itself, the markers being the LM's frozen marker embeddings (constants) and
the contents the tower's 9 projected tokens (`ImageBlock`). With layout "compound", the 9 tokens.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .lm import MaskedDiffusionLM
from .media import encode
from .vocab import CELL_MARKERS, CELL_TOKENS, Vocab


def cell_token_ids(vocab: Vocab) -> List[int]:
    """The cell content tokens (`<|empty|>` and every `<|{color}_{shape}|>`)."""
    return [vocab.ids[t] for t in CELL_TOKENS]


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
    """[9, hidden]: E[row word] + E[column word] of each cell in reading order, as layout compound_pos
    adds them: as saved with the checkpoint (checkpoints.load_lm sets model.cell_positions), or, in
    a file saved before they were (build 13 and older), from the raw token table (the untied LM
    head of a checkpoint saved with factored embeddings; the same rows, no word vectors then)."""
    from .factored import cell_position_matrix

    saved = getattr(model, "cell_positions", None)
    if saved is not None:
        return saved
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


def run_lm(stage, chunk, clips, image_block, pixels, canvas, rng=None, with_answer=True):
    """Towers -> spliced LM for a chunk of examples with audio (losses.AudioStage `stage`; the frozen
    `image_block` for those with an image). Returns (spliced, ids, attn, start, tower out, lengths)."""
    idx = [e["audio"] for e in chunk]
    out, lengths, blocks = stage.encode(clips, idx)
    images = [e for e in chunk if e.get("image") is not None]
    rows = image_block.rows if image_block is not None else 0
    ids, attn, start, image_at, audio_at = encode(
        chunk, stage.vocab, canvas, rows, [b.shape[0] for b in blocks], rng, with_answer
    )
    image_blocks = None
    if images:
        with torch.no_grad():
            image_blocks = image_block(
                torch.from_numpy(np.asarray(pixels[[e["image"] for e in images]], dtype=np.float32))
            )
    return splice(stage.model, ids, image_at, image_blocks, audio_at, blocks), ids, attn, start, out, lengths
