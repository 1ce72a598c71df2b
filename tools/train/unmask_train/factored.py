"""Compositional input embeddings for the scene's compound tokens.

A cell content token such as `red_circle` is embedded as its own vector plus the vectors of
`red` and `circle`; a cell marker `<|cell_top_left|>` as its own vector plus `top` and `left`.
The question words and the scene then share directions from the first step, so "which cell holds
the circle" and "what colour is it" are simple dot products instead of something the attention
must discover. Only the input side is composed; the output head stays the plain token table.
At export the composition is materialised: the input embedding becomes (I + C) E and the LM head
keeps E (untied weights), so the runtime sees an ordinary LLaDA-style graph.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import torch

from .vocab import CELL_MARKERS, CELL_NAMES, CELL_WORDS, Vocab


def components(vocab: Vocab) -> Dict[int, List[int]]:
    """Compound token id -> the ids of its words: `<|red_circle|>` -> `red`, `circle`;
    `<|cell_top_left|>` -> `top`, `left` (each word one BPE token, with its leading space)."""
    out: Dict[int, List[int]] = {}
    for marker, name in zip(CELL_MARKERS, CELL_NAMES):
        out[vocab.ids[marker]] = [vocab.word_id(w) for w in name.split("_")]
    for cell in CELL_WORDS:
        if cell != "empty":
            out[vocab.cell_id(cell)] = [vocab.word_id(w) for w in cell.split("_")]
    return out


def composition_matrix(vocab: Vocab) -> torch.Tensor:
    c = torch.zeros(vocab.n_output, vocab.n_output)
    for i, parts in components(vocab).items():
        for j in parts:
            c[i, j] = 1.0
    return c


def cell_position_matrix(vocab: Vocab) -> torch.Tensor:
    """[10, V]: row k (1..9, reading order) selects the words of grid cell k's row and column;
    row 0 (not a scene token) is zero."""
    m = torch.zeros(10, vocab.n_output)
    for k, name in enumerate(CELL_NAMES, start=1):
        for word in name.split("_"):
            m[k, vocab.word_id(word)] = 1.0
    return m


def input_rows(model) -> torch.Tensor:
    """The token table the input side composes: the embeddings, or model.input_table() where another
    module gives some tokens other input rows (wordvec.py, mode "replace")."""
    hook = getattr(model, "input_table", None)
    return model.embed_tokens.weight if hook is None else hook()


def install(model, vocab: Vocab) -> torch.Tensor:
    """Makes model.embed compose the compound tokens' embeddings, and add the cell-position
    embedding E[row] + E[col] to scene tokens when given cell numbers (layout compound_pos);
    returns the composition matrix."""
    c = composition_matrix(vocab)
    pos = cell_position_matrix(vocab)
    model.cell_position_matrix = pos  # checkpoints.save_lm keeps the positions trained (trained_cell_positions)

    def embed(input_ids: torch.Tensor, cells: Optional[torch.Tensor] = None) -> torch.Tensor:
        table = input_rows(model)
        out = torch.nn.functional.embedding(input_ids, table + c @ table)
        if cells is not None:
            out = out + torch.nn.functional.embedding(cells, pos @ table)
        return out

    model.embed = embed
    return c


def trained_cell_positions(model) -> torch.Tensor:
    """[9, hidden]: the cell-position embeddings `embed` adds (from the input rows of the row and
    column words: the learnt rows, or their vectors with word vectors in mode "replace")."""
    return (model.cell_position_matrix[1:] @ input_rows(model)).detach().clone()


def materialised_state(model, c: torch.Tensor) -> dict:
    """A state dict with the composed input table and a separate (untied) LM head."""
    state = {k: v.clone() for k, v in model.state_dict().items()}
    table = input_rows(model).detach()
    state["embed_tokens.weight"] = table + c @ table
    state["lm_head.weight"] = model.embed_tokens.weight.detach().clone()
    return state
