"""Evaluates a saved text LM (train_lm's lm.pt) on text-form examples: exact match per task type
with greedy one-token-per-step decoding and with confident decoding (tau), plus forward passes
per answer token.

  OMP_NUM_THREADS=1 /usr/bin/python3 -m unmask_train.evaluate_lm --ckpt tmp/lm/run/lm.pt \
      --vocab tmp/lm/run/vocab.json --eval tmp/lm/eval.jsonl --n 40 --tau 0.9 [--show-wrong 5]
"""
from __future__ import annotations

import argparse
import json
import time

from .data import first_per_type, load_jsonl
from .evaluation import evaluate_text, load_text_lm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--n", type=int, default=40, help="examples per type")
    ap.add_argument("--canvas", type=int, default=32)
    ap.add_argument("--tau", type=float, default=0.9)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument(
        "--show-wrong", type=int, default=0, help="print up to N wrong answers per type (confident decoding)"
    )
    ap.add_argument(
        "--max-blanks", type=int, default=5, help="audio blocks as the adapter lays them out (0: bare words)"
    )
    args = ap.parse_args()
    model, layout, vocab = load_text_lm(args.ckpt, args.vocab)
    examples = first_per_type(load_jsonl(args.eval), args.n)
    t0 = time.time()
    greedy = evaluate_text(model, vocab, examples, layout, args.canvas, max_blanks=args.max_blanks)
    confident = evaluate_text(
        model,
        vocab,
        examples,
        layout,
        args.canvas,
        tau=args.tau,
        max_blanks=args.max_blanks,
        keep_wrong=args.show_wrong,
    )
    print(f"{'type':16} {'greedy':>7} {'tau':>7} {'fwd/tok':>8}")
    for t in greedy:
        print(
            f"{t:16} {greedy[t]['exact']*100:6.1f}% {confident[t]['exact']*100:6.1f}% {confident[t]['forwards_per_token']:8.2f}"
        )
    print(f"({len(examples)} examples, {time.time() - t0:.0f} s)")
    for t, r in confident.items():
        for w in r.get("wrong", []):
            spoken = f" [spoken: {w['spoken']}]" if w["spoken"] else ""
            print(f"wrong {t}: {w['prompt']!r}{spoken}\n  want {w['answer']!r}\n  got  {w['got']!r}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"greedy": greedy, f"tau{args.tau}": confident}, f, indent=1)


if __name__ == "__main__":
    main()
