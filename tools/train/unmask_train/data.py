"""Text-form examples (from tools/worlds) -> token sequences and training batches, and the helpers
that split example lists by task type.

A sequence is  <|user|> [image block] [audio block] prompt words <|assistant|> | canvas
where the canvas is the answer followed by <|eos|> up to the canvas length. The image block is
the scene's nine grid cells in reading order: with layout "pair", a cell marker token and the
cell's content token (`red_circle` or `empty`), 18 tokens; with layout "compound", the nine
content tokens alone. The audio block is the spoken words, with random <|blank|> tokens between
them when `audio_blanks` is set (a stand-in for the audio adapter's frame-rate tokens).
"""
from __future__ import annotations

import json
import random
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from .bytelevel_bpe import split_words
from .vocab import ASSISTANT, BLANK, CELL_MARKERS, USER, Vocab, cell_token

CANVAS_BUCKETS = (8, 16, 32)


def load_jsonl(path: str) -> List[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


LAYOUTS = ("pair", "compound", "compound_pos")


def image_block(cells: Sequence[str], layout: str) -> List[str]:
    """pair: marker + content per cell (18 tokens); compound / compound_pos: the nine content
    tokens (compound_pos adds a cell-position embedding to them, see cell_positions)."""
    if layout == "pair":
        return [t for marker, cell in zip(CELL_MARKERS, cells) for t in (marker, cell_token(cell))]
    if layout in ("compound", "compound_pos"):
        return [cell_token(c) for c in cells]
    raise ValueError(f"unknown image layout {layout!r}")


def audio_block(
    words: Sequence[str], rng: Optional[random.Random], max_blanks: int, p_repeat: float = 0.15
) -> List[str]:
    """The text stand-in for the audio adapter's semantic tokens.

    The adapter emits ~4-5 tokens per spoken word (12.5 tokens/s), CTC-aligned: mostly blanks,
    sometimes a word twice, and longer blank runs for the silence around the speech. The LM sees
    that shape during text training so the spliced audio is not out of distribution.
    """
    if rng is None or max_blanks == 0:
        return list(words)
    out: List[str] = [BLANK] * rng.randint(0, 2 * max_blanks)
    for w in words:
        out.append(w)
        if rng.random() < p_repeat:
            out.append(w)
        out.extend([BLANK] * rng.randint(0, max_blanks))
    out.extend([BLANK] * rng.randint(0, max_blanks))
    return out


def prompt_tokens(e: dict, layout: str, rng: Optional[random.Random] = None, max_blanks: int = 0) -> List[str]:
    """Added tokens and text sections (Vocab.encode_words): the spoken words one section each, the
    typed prompt one section, as the runtime's tokenizer encodes the chat template's text."""
    toks = [USER]
    if e.get("cells"):
        toks += image_block(e["cells"], layout)
    if e.get("spoken"):
        toks += audio_block(split_words(e["spoken"]), rng, max_blanks)
    toks.append(e["prompt"])
    toks.append(ASSISTANT)
    return toks


def answer_len(e: dict, vocab: Vocab) -> int:
    return vocab.text_len(e["answer"])


def fitting_buckets(n_answer: int) -> List[int]:
    return [b for b in CANVAS_BUCKETS if b >= n_answer + 1]


class Batcher:
    """Draws batches of one canvas length; each example's canvas is the smallest bucket that fits
    (probability `p_smallest`) or a random larger one, so every decoding length is trained."""

    def __init__(
        self,
        examples: List[dict],
        vocab: Vocab,
        layout: str,
        batch_size: int,
        seed: int,
        type_weights: Optional[Dict[str, float]] = None,
        p_smallest: float = 0.6,
        max_blanks: int = 2,
        bpe_dropout: float = 0.0,
    ):
        self.vocab, self.layout, self.batch_size = vocab, layout, batch_size
        self.rng = random.Random(seed)
        self.max_blanks = max_blanks
        self.bpe_dropout = bpe_dropout
        self.p_smallest = p_smallest
        self.by_type: Dict[str, List[dict]] = defaultdict(list)
        for e in examples:
            self.by_type[e["type"]].append(e)
        types = sorted(self.by_type)
        w = type_weights or {}
        self.types = types
        self.weights = [w.get(t, 1.0) for t in types]

    def _canvas(self, e: dict) -> int:
        fits = fitting_buckets(answer_len(e, self.vocab))
        if not fits:
            raise ValueError(f"answer longer than the largest canvas: {e['answer']!r}")
        return fits[0] if self.rng.random() < self.p_smallest or len(fits) == 1 else self.rng.choice(fits[1:])

    def next(self) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, List[dict]]:
        # Pick a canvas length, then examples whose answer fits it.
        canvas = self.rng.choice(CANVAS_BUCKETS)
        picked: List[dict] = []
        while len(picked) < self.batch_size:
            t = self.rng.choices(self.types, self.weights)[0]
            e = self.rng.choice(self.by_type[t])
            if self._canvas(e) == canvas or (
                canvas == CANVAS_BUCKETS[-1] and answer_len(e, self.vocab) + 1 <= canvas and self.rng.random() < 0.15
            ):
                picked.append(e)
        enc = encode_batch(
            picked, self.vocab, self.layout, canvas, self.rng, self.max_blanks, bpe_dropout=self.bpe_dropout
        )
        return enc, picked


def encode_batch(
    examples: List[dict],
    vocab: Vocab,
    layout: str,
    canvas: int,
    rng: Optional[random.Random] = None,
    max_blanks: int = 0,
    with_answer: bool = True,
    bpe_dropout: float = 0.0,
):
    """Left-padded prompts + canvas. Returns ids [B, P+canvas] (canvas = answer + eos, or masks when
    with_answer is False), attention mask, P (the canvas's start column), and cell numbers [B, P+canvas]
    (1..9 on the scene's tokens with layout compound_pos, else 0). With `bpe_dropout` (training, an
    rng given) the typed prompt is read in BPE-dropout pieces (Vocab.encode_text_dropout); the media's
    words stay whole, as the adapters give them."""
    prompts = [encode_prompt(e, vocab, layout, rng, max_blanks, bpe_dropout) for e in examples]
    p = max(len(x) for x in prompts)
    ids = torch.full((len(examples), p + canvas), vocab.pad, dtype=torch.long)
    attn = torch.zeros((len(examples), p + canvas), dtype=torch.long)
    cells = torch.zeros((len(examples), p + canvas), dtype=torch.long)
    for i, (e, pr) in enumerate(zip(examples, prompts)):
        ids[i, p - len(pr) : p] = torch.tensor(pr)
        attn[i, p - len(pr) :] = 1
        if layout == "compound_pos" and e.get("cells"):
            # The scene's nine tokens follow <|user|>; number them 1..9 in reading order.
            first = p - len(pr) + 1
            cells[i, first : first + 9] = torch.arange(1, 10)
        fill_canvas(ids, i, p, e["answer"], vocab, with_answer)
    return ids, attn, p, cells


def encode_prompt(
    e: dict,
    vocab: Vocab,
    layout: str,
    rng: Optional[random.Random] = None,
    max_blanks: int = 0,
    bpe_dropout: float = 0.0,
) -> List[int]:
    """One prompt's ids (prompt_tokens encoded): the typed prompt's whole words taken whole (a vocabulary
    with word vectors), or in BPE-dropout pieces when asked; the spoken words in BPE pieces, as the
    audio adapter gives them."""
    items = prompt_tokens(e, layout, rng, max_blanks)
    # prompt_tokens ends with the typed prompt and the assistant marker.
    head, typed, tail = items[:-2], items[-2], items[-1:]
    if vocab.whole_ids:
        return vocab.encode_words(head) + vocab.encode_text(typed, whole=True) + vocab.encode_words(tail)
    if bpe_dropout <= 0 or rng is None:
        return vocab.encode_words(items)
    return vocab.encode_words(head) + vocab.encode_text_dropout(typed, bpe_dropout, rng) + vocab.encode_words(tail)


def fill_canvas(ids: torch.Tensor, row: int, start: int, answer: str, vocab: Vocab, with_answer: bool) -> None:
    """Row `row`'s answer canvas from `start`: the answer then EOS padding (training), or all
    masks (decoding)."""
    if with_answer:
        ans = vocab.encode_text(answer)[: ids.shape[1] - start]
        ids[row, start:] = vocab.eos
        ids[row, start : start + len(ans)] = torch.tensor(ans)
    else:
        ids[row, start:] = vocab.mask


def position_ids(attn: torch.Tensor) -> torch.Tensor:
    """Positions count from the first real (non-padding) token."""
    return (attn.cumsum(1) - 1).clamp(min=0)


def by_type(examples: Sequence[dict]) -> Dict[str, List[dict]]:
    out: Dict[str, List[dict]] = defaultdict(list)
    for e in examples:
        out[e["type"]].append(e)
    return out


def balanced(examples: Sequence[dict], per_type: int, seed: int = 0) -> List[dict]:
    """Up to `per_type` examples of each type (a random sample, types in sorted order)."""
    rng = random.Random(seed)
    out = []
    for t, es in sorted(by_type(examples).items()):
        out += rng.sample(es, min(per_type, len(es)))
    return out


def first_per_type(examples: Sequence[dict], n: int) -> List[dict]:
    """The first `n` examples of each type, in file order (the text LM's evaluation set)."""
    per_type: Dict[str, List[dict]] = defaultdict(list)
    for e in examples:
        if len(per_type[e["type"]]) < n:
            per_type[e["type"]].append(e)
    return [e for es in per_type.values() for e in es]
