"""The default model's tokenizer: byte-level BPE trained on the worlds' text, written as a Hugging Face
tokenizer.json that the runtime reads with @huggingface/tokenizers.

Byte-level (GPT-2's byte-to-character map and pre-tokenizer pattern), so no text is ever unknown: a
word the training text never had is read in pieces, down to single bytes. The special tokens (mask,
EOS, roles, media placeholders, the audio block's blank) and the scene's cell tokens (`<|red_circle|>`,
`<|empty|>`, the cell markers) are added tokens. The normalizer lower-cases, maps curly apostrophes to
straight ones, turns `?`, `!` and `.` into spaces (the spec compares prompts without them; no answer
has them) and collapses and trims whitespace; the pre-tokenizer adds a leading space, so every word is
encoded the same way wherever it stands; the decoder turns bytes back into text and drops that first
space.

Python mirrors the runtime's encoding here, on bytelevel_bpe.py (training must see the ids the
runtime computes); tools/train/tokenizer.test.ts checks the two agree on the worlds' text and on odd
input.
"""
from __future__ import annotations

import json
import os
import random
from typing import Dict, Iterable, List, Sequence, Tuple

from .bytelevel_bpe import BYTE_CHAR, CHAR_BYTE, bpe, normalize, pretokenize, train_bpe

PAD, UNK, MASK, EOS = "<|pad|>", "<|unk|>", "<|mask|>", "<|eos|>"
IMAGE, AUDIO, USER, ASSISTANT, BLANK = "<|image|>", "<|audio|>", "<|user|>", "<|assistant|>", "<|blank|>"
SPECIALS = [PAD, UNK, MASK, EOS, IMAGE, AUDIO, USER, ASSISTANT, BLANK]
ROWS, COLUMNS = ("top", "middle", "bottom"), ("left", "center", "right")
CELL_NAMES = [f"{r}_{c}" for r in ROWS for c in COLUMNS]
# Marker tokens that precede each grid cell's content token in the scene's text form (layout "pair").
CELL_MARKERS = [f"<|cell_{name}|>" for name in CELL_NAMES]
COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "black")
SHAPES = ("circle", "square", "triangle", "diamond", "star")
# The scene's cell content tokens: tools/worlds writes `red_circle` / `empty`; the tokenizer's token is
# `<|red_circle|>` / `<|empty|>` (added tokens, so typed text never produces them).
CELL_WORDS = ["empty"] + [f"{c}_{s}" for c in COLORS for s in SHAPES]


def cell_token(cell: str) -> str:
    return f"<|{cell}|>"


CELL_TOKENS = [cell_token(c) for c in CELL_WORDS]
ADDED = SPECIALS + CELL_MARKERS + CELL_TOKENS
# Words the model's structure needs as single tokens: the compositional embeddings of the cell tokens
# and markers (factored.py) and the cell-position embedding (E[row] + E[column]).
STRUCTURE_WORDS = list(COLORS) + list(SHAPES) + list(ROWS) + list(COLUMNS)


def bpe_tokens(merges: Sequence[Tuple[str, str]]) -> List[str]:
    """The BPE vocabulary's tokens in id order: the added tokens, the 256 bytes, each new merge result."""
    tokens = list(ADDED) + [BYTE_CHAR[b] for b in range(256)]
    seen = set(tokens)
    for a, b in merges:
        if a + b not in seen:
            tokens.append(a + b)
            seen.add(a + b)
    return tokens


class Vocab:
    """Token ids, the BPE merges, and encoding / decoding as the runtime's tokenizer.json does it."""

    def __init__(self, merges: Sequence[Tuple[str, str]], whole_words: Sequence[str] = ()):
        self.merges = [tuple(m) for m in merges]
        tokens = bpe_tokens(self.merges)
        seen = set(tokens)
        # With word vectors (wordvec.py) the BPE tokens are the LM's output vocabulary; whole words
        # (pre-tokenized, "Ġword") follow them, input only, taken whole in typed prompts
        # (tokenizer.json ignore_merges) and read through their pretrained vectors.
        self.n_output = len(tokens)
        self.whole_ids: Dict[str, int] = {}
        for w in whole_words:
            t = pretokenize(w)[0] if w.startswith(" ") else pretokenize(" " + w)[0]
            if t not in seen:
                self.whole_ids[t] = len(tokens)
                tokens.append(t)
                seen.add(t)
        self.tokens = tokens
        self.ids: Dict[str, int] = {t: i for i, t in enumerate(tokens)}
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.pad, self.unk, self.mask, self.eos = (self.ids[t] for t in (PAD, UNK, MASK, EOS))
        self.added = set(ADDED)
        self._cache: Dict[str, List[int]] = {}

    def __len__(self) -> int:
        return len(self.tokens)

    def encode_text(self, text: str, whole: bool = False) -> List[int]:
        """A text section (no added tokens in it) as the runtime encodes it; with `whole` and whole-word
        tokens, a word that is a token is taken whole (typed prompts: tokenizer.json ignore_merges)."""
        key = ("w" if whole else "b") + text
        hit = self._cache.get(key)
        if hit is None:
            hit = []
            for word in pretokenize(normalize(text)):
                if whole and self.whole_ids and word in self.ids:
                    hit.append(self.ids[word])
                else:
                    hit.extend(self.ids[p] for p in bpe(word, self.ranks))
            if len(self._cache) < 200000:
                self._cache[key] = hit
        return hit

    def encode_text_dropout(self, text: str, dropout: float, rng: random.Random) -> List[int]:
        """encode_text with BPE-dropout (bpe's `dropout`): other pieces of the same text, for training."""
        return [self.ids[p] for word in pretokenize(normalize(text)) for p in bpe(word, self.ranks, dropout, rng)]

    def encode_words(self, items: Iterable[str], whole: bool = False) -> List[int]:
        """Added tokens by their id; every other item encoded as a text section of its own (`whole`:
        typed text, its whole-word tokens taken whole, as encode_text)."""
        out: List[int] = []
        for item in items:
            if item in self.added:
                out.append(self.ids[item])
            else:
                out.extend(self.encode_text(item, whole))
        return out

    def word_id(self, word: str) -> int:
        """The id of a word that is one token (a leading space, as the pre-tokenizer writes it)."""
        ids = self.encode_text(word)
        if len(ids) != 1:
            raise ValueError(f"{word!r} is not a single token ({[self.tokens[i] for i in ids]})")
        return ids[0]

    def cell_id(self, cell: str) -> int:
        """The token id of a scene cell as tools/worlds writes it (`red_circle`, `empty`)."""
        return self.ids[cell_token(cell)]

    def decode(self, ids: Iterable[int]) -> str:
        """The answer text as the runtime decodes it: up to the first EOS, pad and mask left out; the
        tokens' characters back to bytes (added tokens are ASCII, which the byte map keeps as it is),
        then the leading space dropped (the decoder's ByteLevel + Strip)."""
        chars: List[str] = []
        for i in ids:
            if i == self.eos:
                break
            if i in (self.pad, self.mask):
                continue
            chars.append(self.tokens[i])
        text = bytes(CHAR_BYTE.get(c, 0x3F) for c in "".join(chars)).decode("utf-8", errors="replace")
        return text[1:] if text.startswith(" ") else text

    def text_len(self, text: str) -> int:
        return len(self.encode_text(text))

    @staticmethod
    def build(examples: Iterable[dict], vocab_size: int = 1200) -> "Vocab":
        """BPE on the examples' prompts, answers and spoken words (tools/worlds text forms)."""
        texts = []
        for e in examples:
            for field in ("prompt", "answer", "spoken"):
                if e.get(field):
                    texts.append(e[field])
        return Vocab(train_bpe(texts, vocab_size - len(ADDED) - 256, STRUCTURE_WORDS))

    def save(self, folder_or_vocab_json: str) -> None:
        """tokenizer.json and vocab.json (the token strings by id) into the folder."""
        folder = folder_or_vocab_json
        if folder.endswith(".json"):
            folder = os.path.dirname(folder)
        with open(os.path.join(folder, "tokenizer.json"), "w") as f:
            json.dump(self.tokenizer_json(), f, indent=1, ensure_ascii=False)
        with open(os.path.join(folder, "vocab.json"), "w") as f:
            json.dump(self.tokens, f, ensure_ascii=False)

    @staticmethod
    def load(path: str) -> "Vocab":
        """From a tokenizer.json, or from the folder (or the vocab.json) beside one."""
        if os.path.isdir(path):
            path = os.path.join(path, "tokenizer.json")
        elif os.path.basename(path) != "tokenizer.json":
            path = os.path.join(os.path.dirname(path), "tokenizer.json")
        with open(path) as f:
            data = json.load(f)
        merges = [tuple(m) for m in data["model"]["merges"]]
        whole: List[str] = []
        if data["model"].get("ignore_merges"):
            n_output = len(bpe_tokens(merges))
            by_id = sorted(data["model"]["vocab"].items(), key=lambda kv: kv[1])
            whole = [t.replace("\u0120", " ") for t, i in by_id if i >= n_output]
        vocab = Vocab(merges, whole)
        if vocab.ids != data["model"]["vocab"]:
            raise ValueError(f"{path}: vocabulary does not match its merges")
        return vocab

    def tokenizer_json(self) -> dict:
        """The Hugging Face tokenizer.json (see the module's docstring)."""
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {
                    "id": self.ids[t],
                    "content": t,
                    "single_word": False,
                    "lstrip": False,
                    "rstrip": False,
                    "normalized": False,
                    "special": True,
                }
                for t in ADDED
            ],
            "normalizer": {
                "type": "Sequence",
                "normalizers": [
                    {"type": "NFKC"},
                    {"type": "Lowercase"},
                    {"type": "Replace", "pattern": {"Regex": "[\u2018\u2019]"}, "content": "'"},
                    {"type": "Replace", "pattern": {"Regex": "[?!.]"}, "content": " "},
                    {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
                    {"type": "Strip", "strip_left": True, "strip_right": True},
                ],
            },
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "post_processor": None,
            "decoder": {
                "type": "Sequence",
                "decoders": [
                    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
                    {"type": "Strip", "content": " ", "start": 1, "stop": 0},
                ],
            },
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": bool(self.whole_ids),
                "vocab": dict(self.ids),
                "merges": [list(m) for m in self.merges],
            },
        }


def main() -> None:
    """Trains the tokenizer on text-form examples (JSON lines), or loads one, and optionally encodes
    strings (JSON lines of strings) to `{text, ids, decoded}` lines on stdout.

      /usr/bin/python3 -m unmask_train.vocab --train tmp/build/text-train.jsonl --out tmp/tokenizer
      /usr/bin/python3 -m unmask_train.vocab --load tmp/tokenizer --encode strings.jsonl [--bpe-dropout 0.1 --seed 1]
    """
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", help="text-form examples to train the BPE on")
    ap.add_argument("--vocab-size", type=int, default=1200)
    ap.add_argument("--load", help="a tokenizer.json (or its folder) instead of training one")
    ap.add_argument("--out", help="folder for tokenizer.json and vocab.json")
    ap.add_argument("--encode", help="JSON lines of strings to encode")
    ap.add_argument("--bpe-dropout", type=float, default=0.0, help="encode with BPE-dropout (training's pieces)")
    ap.add_argument("--seed", type=int, default=1, help="random seed of --bpe-dropout")
    args = ap.parse_args()
    if bool(args.train) == bool(args.load):
        ap.error("give --train or --load")
    if args.train:
        with open(args.train) as f:
            vocab = Vocab.build((json.loads(line) for line in f if line.strip()), args.vocab_size)
    else:
        vocab = Vocab.load(args.load)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        vocab.save(args.out)
    if args.encode:
        rng = random.Random(args.seed)
        with open(args.encode) as f:
            for line in f:
                if line.strip():
                    text = json.loads(line)
                    ids = (
                        vocab.encode_text_dropout(text, args.bpe_dropout, rng)
                        if args.bpe_dropout > 0
                        else vocab.encode_text(text)
                    )
                    print(json.dumps({"text": text, "ids": ids, "decoded": vocab.decode(ids)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
