"""Would refusing low-confidence answers raise refusals without refusing in-scope prompts? Decodes
a text LM's evaluation set as evaluate_lm does (confident decoding, tau) and, per example, keeps two
scores: the lowest commit-time probability among the answer's tokens (up to its EOS), and the first
forward pass's mean log-probability of the refusal string at its positions. Then it sweeps a
threshold on each: refuse when the lowest confidence is below t, or when the refusal's score is
above t, and prints what each rule does to the refusal rate, the in-scope prompts refused and the
in-scope exact match (tools/train/EXPERIMENTS.md, "Refusing uncertain answers").

  OMP_NUM_THREADS=1 /usr/bin/python3 -m unmask_train.abstention --ckpt RUN/lm.pt \
      --vocab RUN/vocab.json --eval heldout.jsonl --n 200 [--json rows.json]
"""
from __future__ import annotations

import argparse
import json
import random
from typing import Callable, Dict, List, Sequence

import torch

from .assemble import REFUSAL
from .data import first_per_type, load_jsonl
from .decode import DecodeRecord
from .evaluation import decode_text_chunk, load_text_lm


@torch.no_grad()
def score_examples(model, vocab, layout, examples, canvas=32, tau=0.9, batch_size=100, max_blanks=5) -> List[dict]:
    """Per example: type, refusal kind, answer, decoded text, `min_confidence`, `refusal_score`."""
    model.eval()
    refusal_ids = vocab.encode_text(REFUSAL) + [vocab.eos]
    rows = []
    for i in range(0, len(examples), batch_size):
        chunk = examples[i : i + batch_size]
        rng = random.Random(i) if max_blanks else None  # a seed per chunk, as evaluate_text's audio blanks
        record = DecodeRecord()
        filled, _ = decode_text_chunk(model, vocab, layout, chunk, canvas, tau, rng, max_blanks, record)
        positions = torch.arange(min(len(refusal_ids), canvas))
        targets = torch.tensor(refusal_ids[:canvas])
        refusal_scores = record.first_probs[:, positions, targets].log().mean(1)
        for b, e in enumerate(chunk):
            row = filled[b].tolist()
            length = row.index(vocab.eos) + 1 if vocab.eos in row else len(row)
            committed = [c for c in record.confidence[b, :length].tolist() if c >= 0]
            rows.append(
                {
                    "type": e["type"],
                    "kind": e.get("refusalKind"),
                    "answer": e["answer"],
                    "got": vocab.decode(row),
                    "min_confidence": min(committed),
                    "refusal_score": refusal_scores[b].item(),
                }
            )
    return rows


def rule_effect(rows: Sequence[dict], refuse: Callable[[dict], bool]) -> Dict[str, float]:
    """What answering REFUSAL wherever `refuse(row)` holds does: the refusal rate on refusal prompts,
    the in-scope prompts refused (count), the in-scope exact match, and right answers lost (count)."""
    outs = [r for r in rows if r["type"] == "refusal"]
    ins = [r for r in rows if r["type"] != "refusal"]
    refused = lambda r: r["got"] == REFUSAL or refuse(r)
    return {
        "refusals": sum(map(refused, outs)) / max(len(outs), 1),
        "in_scope_refused": sum(map(refused, ins)),
        "in_scope_exact": sum(1 for r in ins if r["got"] == r["answer"] and not refuse(r)) / max(len(ins), 1),
        "right_lost": sum(1 for r in ins if r["got"] == r["answer"] and refuse(r)),
    }


RULES = [("none", lambda r: False)]
RULES += [(f"min confidence < {t}", lambda r, t=t: r["min_confidence"] < t) for t in (0.4, 0.5, 0.6, 0.7)]
RULES += [(f"refusal score > {t}", lambda r, t=t: r["refusal_score"] > t) for t in (-3, -2, -1.5, -1, -0.7)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--n", type=int, default=200, help="examples per type")
    ap.add_argument("--tau", type=float, default=0.9)
    ap.add_argument("--json", help="write the per-example rows here")
    args = ap.parse_args()
    model, layout, vocab = load_text_lm(args.ckpt, args.vocab)
    rows = score_examples(model, vocab, layout, first_per_type(load_jsonl(args.eval), args.n), tau=args.tau)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f)
    n_in = sum(r["type"] != "refusal" for r in rows)
    print(f"{len(rows) - n_in} refusal prompts, {n_in} in-scope prompts, tau {args.tau}")
    print(f"{'rule':24} {'refusals':>9} {'in-scope refused':>17} {'in-scope exact':>15} {'right lost':>11}")
    for name, rule in RULES:
        e = rule_effect(rows, rule)
        print(
            f"{name:24} {e['refusals']*100:8.1f}% {e['in_scope_refused']:17d}"
            f" {e['in_scope_exact']*100:14.1f}% {e['right_lost']:11d}"
        )
    answered = [r["min_confidence"] for r in rows if r["type"] == "refusal" and r["got"] != REFUSAL]
    right = [r["min_confidence"] for r in rows if r["type"] != "refusal" and r["got"] == r["answer"]]
    if answered and right:
        median = lambda v: sorted(v)[len(v) // 2]
        print(
            f"lowest confidence, median: refusal prompts answered {median(answered):.3f},"
            f" in-scope prompts answered right {median(right):.3f}"
        )


if __name__ == "__main__":
    main()
