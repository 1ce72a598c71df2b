"""Byte-level BPE as a Hugging Face tokenizer.json runs it (GPT-2's byte map and pre-tokenizer pattern,
the worlds' normalizer), and BPE merges learnt from text. Hand-written: Debian packages no Python
`tokenizers` and PyPI is out of reach here; tools/train/tokenizer.test.ts checks it against the
runtime. vocab.py builds the default model's vocabulary on it.
"""
from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple


def _bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's map from bytes to printable characters (the ByteLevel pre-tokenizer's)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_CHAR = _bytes_to_unicode()
CHAR_BYTE = {c: b for b, c in BYTE_CHAR.items()}
# The ByteLevel pre-tokenizer's pattern with \p{L} / \p{N} written for Python's re: letters are word
# characters that are neither digits nor the underscore; "other" is anything but space, letter, digit.
_L = r"[^\W\d_]"
_N = r"\d"
_O = r"(?:[^\s\w]|_)"
PRETOKEN = re.compile(rf"'s|'t|'re|'ve|'m|'ll|'d| ?{_L}+| ?{_N}+| ?{_O}+|\s+(?!\S)|\s+")


def normalize(text: str) -> str:
    """The tokenizer.json normalizer: NFKC, lower case, curly apostrophes straight, `?!.` to spaces,
    whitespace collapsed and trimmed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub("[\u2018\u2019]", "'", text)
    text = re.sub(r"[?!.]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def pretokenize(normalized: str) -> List[str]:
    """The ByteLevel pre-tokenizer: a leading space, GPT-2's split, bytes mapped to characters."""
    if not normalized:
        return []
    if not normalized.startswith(" "):
        normalized = " " + normalized
    return ["".join(BYTE_CHAR[b] for b in piece.encode("utf-8")) for piece in PRETOKEN.findall(normalized)]


def split_words(text: str) -> List[str]:
    """Whitespace split (the spoken words of a clip, written lower case without punctuation)."""
    return text.split()


def _merged(parts: List[str], a: str, b: str) -> List[str]:
    """`parts` with every (a, b) merged, left to right."""
    out, i = [], 0
    while i < len(parts):
        if i < len(parts) - 1 and parts[i] == a and parts[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


def bpe(
    word: str, ranks: Dict[Tuple[str, str], int], dropout: float = 0.0, rng: Optional[random.Random] = None
) -> List[str]:
    """Merges the lowest-ranked adjacent pair until none is left (leftmost first among equal ranks).
    With `dropout` (training only; BPE-dropout, Provilkov et al. 2020), each candidate merge of a step
    is skipped with that probability, and the word stays in smaller pieces when every one is: the
    pieces of known words then get a training signal, as those of an unseen word need."""
    parts = list(word)
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            r = ranks.get((parts[i], parts[i + 1]))
            if r is None or (dropout > 0 and rng is not None and rng.random() < dropout):
                continue
            if best is None or r < best:
                best, at = r, i
        if best is None:
            break
        parts = _merged(parts, parts[at], parts[at + 1])
    return parts


def train_bpe(texts: Iterable[str], budget: int, required: Sequence[str] = ()) -> List[Tuple[str, str]]:
    """`budget` BPE merges learnt from `texts` (normalised and pre-tokenised as the tokenizer does);
    then, while any word of `required` is not yet one token, the most frequent pair inside those
    words is merged too. Each merge picks the most frequent pair, ties by the pair itself, so
    training is deterministic. The pair counts are kept up to date word by word (only the words
    holding the merged pair are counted again), which is what makes the default model's 300,000
    texts take seconds rather than minutes; the merges are those of recounting every word each time."""
    counts: Counter = Counter()
    for t in texts:
        counts.update(pretokenize(normalize(t)))
    targets = [pretokenize(w)[0] for w in required]
    words = {w: list(w) for w in counts}
    for t in targets:
        words.setdefault(t, list(t))
    weight = {w: counts[w] if w in counts else 1 for w in words}
    pc: Counter = Counter()
    holders: Dict[Tuple[str, str], set] = {}  # pair -> the words whose parts hold it
    for w, parts in words.items():
        for pair in zip(parts, parts[1:]):
            pc[pair] += weight[w]
            holders.setdefault(pair, set()).add(w)
    merges: List[Tuple[str, str]] = []

    def apply(pair: Tuple[str, str]) -> None:
        a, b = pair
        for w in holders.pop(pair, set()):
            old = words[w]
            new = _merged(old, a, b)
            for p in zip(old, old[1:]):
                pc[p] -= weight[w]
                if pc[p] <= 0:
                    del pc[p]
            for p in zip(new, new[1:]):
                pc[p] += weight[w]
                holders.setdefault(p, set()).add(w)
            for p in set(zip(old, old[1:])) - set(zip(new, new[1:])):
                if p != pair and p in holders:
                    holders[p].discard(w)
            words[w] = new

    while len(merges) < budget and pc:
        pair = min(pc.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(pair)
        apply(pair)
    while any(len(words[t]) > 1 for t in targets):
        inside: Counter = Counter()
        for t in {t for t in targets if len(words[t]) > 1}:
            for p in zip(words[t], words[t][1:]):
                inside[p] += weight[t]
        pair = min(inside.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(pair)
        apply(pair)
    return merges
