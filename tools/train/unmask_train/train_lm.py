"""Trains the text LM with LLaDA's masking on text-form examples from tools/worlds, and
measures exact match per task type while training. The defaults are the recipe of
tools/train/EXPERIMENTS.md (layout compound_pos, compositional embeddings, default init,
flat masked cross-entropy, lr 2e-3).

  OMP_NUM_THREADS=1 nice -n 10 /usr/bin/python3 -m unmask_train.train_lm --train tmp/lm/train.jsonl \
      --eval tmp/lm/eval.jsonl --out tmp/lm/run1 --steps 3000
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch

from .averaging import TailAverage
from .checkpoints import save_checked_lm
from .cli import parse_weights, run_args
from .data import LAYOUTS, Batcher, first_per_type, load_jsonl
from .evaluation import evaluate_text, text_summary
from .factored import install as install_factored
from .wordvec import install as install_word_vectors, read_vectors
from .lm import LMConfig, MaskedDiffusionLM
from .loop import StepLoop
from .losses import EPS, llada_loss
from .resume import Resume
from .run_log import run_log
from .schedule import warmup_cosine
from .vocab import Vocab


def parse_fractions(text: str) -> list:
    """`0.5,0.75` -> [0.5, 0.75]; each in [0, 1)."""
    out = [float(x) for x in text.split(",") if x.strip()]
    for f in out:
        if not 0 <= f < 1:
            raise SystemExit(f"--average-from: {f} is not a fraction of the steps in [0, 1)")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--eval-heldout", help="text forms in held-out wordings, evaluated beside --eval (greedy)")
    ap.add_argument("--vocab", help="tokenizer.json to reuse (byte-level BPE trained on --train otherwise)")
    ap.add_argument("--vocab-size", type=int, default=1200, help="BPE vocabulary size when training one")
    ap.add_argument(
        "--vocab-text",
        help="text forms to train the BPE on instead of --train (the build's: --train before its synonym swaps)",
    )
    ap.add_argument("--layout", default="compound_pos", choices=list(LAYOUTS))
    run_args(ap, steps=3000, lr=2e-3, batch=64)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=384)
    ap.add_argument("--max-blanks", type=int, default=5)
    ap.add_argument("--log-every", type=int, default=50, help="log the mean training loss every this many steps")
    ap.add_argument("--eval-canvas", type=int, default=32)
    ap.add_argument("--eval-n", type=int, default=60, help="eval examples per type")
    ap.add_argument("--weights", default="", help="type=weight,... for the training mix")
    ap.add_argument(
        "--loss",
        default="flat",
        choices=["llada", "flat"],
        help="llada: CE / t (LLaDA); flat: CE on masked tokens, same masking (learns faster at batch 64, EXPERIMENTS.md)",
    )
    ap.add_argument(
        "--p-smallest",
        type=float,
        default=0.6,
        help="probability that an example's canvas is the smallest bucket its answer fits",
    )
    ap.add_argument(
        "--bpe-dropout",
        type=float,
        default=0.0,
        help="skip each BPE merge of a training prompt with this probability (vocab.bpe; 0: none)",
    )
    ap.add_argument("--t-min", type=float, default=EPS)
    ap.add_argument(
        "--average-from",
        default="",
        help="fractions of --steps, comma-separated: for each F, the mean of the weights from step F*steps on is "
        "written as lm-avgP.pt (P = F in percent) and evaluated beside lm.pt (averaging.TailAverage)",
    )
    ap.add_argument(
        "--init",
        default="default",
        choices=["default", "small"],
        help="default: PyTorch's (embeddings N(0,1), linear Kaiming-uniform); small: N(0, 0.02) everywhere",
    )
    ap.add_argument(
        "--word-vectors",
        help="a JSON of `words` and `vectors` (python -m unmask_train.wordvec): typed prompts' words "
        "are read through their frozen vectors, those BPE lacks as whole-word input tokens (wordvec.py)",
    )
    ap.add_argument(
        "--word-vectors-mode",
        choices=["add", "replace"],
        default="add",
        help="add: a BPE word with a vector reads its learnt row plus the projected vector; replace: the "
        "projected vector alone (its learnt row stays its output row)",
    )
    ap.add_argument("--factored", type=int, default=1, help="compose compound-token embeddings (unmask_train.factored)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.word_vectors and not args.factored:
        ap.error("--word-vectors needs --factored 1 (an untied LM head: the whole words are input only)")
    if args.word_vectors and args.bpe_dropout > 0:
        ap.error("--word-vectors takes typed words whole; it does not combine with --bpe-dropout")
    fractions = parse_fractions(args.average_from)  # checked before the vocabulary and data work
    os.makedirs(args.out, exist_ok=True)
    resume = Resume(args)  # so is a resume point's fit

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train = load_jsonl(args.train)
    if args.vocab:
        vocab = Vocab.load(args.vocab)
    else:
        vocab = Vocab.build(load_jsonl(args.vocab_text) if args.vocab_text else train, args.vocab_size)
    vectors = read_vectors(args.word_vectors) if args.word_vectors else None
    if vectors:
        vocab = Vocab(vocab.merges, vectors["words"])
    vocab.save(args.out)
    evalset = first_per_type(load_jsonl(args.eval), args.eval_n)
    heldout = first_per_type(load_jsonl(args.eval_heldout), args.eval_n) if args.eval_heldout else []

    batcher = Batcher(
        train,
        vocab,
        args.layout,
        args.batch,
        args.seed,
        parse_weights(args.weights),
        p_smallest=args.p_smallest,
        max_blanks=args.max_blanks,
        bpe_dropout=args.bpe_dropout,
    )
    config = LMConfig(
        vocab_size=vocab.n_output,
        hidden_size=args.hidden,
        intermediate_size=args.ffn,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.heads,
        head_dim=args.hidden // args.heads,
        max_position_embeddings=256,
    )
    model = MaskedDiffusionLM(config)
    if args.init == "small":
        for name, p in model.named_parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)
    composition = install_factored(model, vocab) if args.factored else None
    if vectors:
        install_word_vectors(model, vocab, vectors, args.word_vectors_mode)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.98),
    )
    sched = warmup_cosine(opt, args.steps, args.warmup)
    gen = torch.Generator().manual_seed(args.seed)
    say = run_log(args.out)
    say(f"config {json.dumps(vars(args))} params={n_params} vocab={len(vocab)}")
    cells_of = (lambda cells: cells) if args.layout == "compound_pos" else (lambda cells: None)
    history = []
    loop = StepLoop(
        model.parameters(),
        opt,
        sched,
        say,
        steps=args.steps,
        eval_every=args.eval_every,
        minutes=args.minutes,
        log_every=args.log_every,
        formats={"loss": "loss {:.4f}", "acc": "masked-all-right {:.3f}"},
        log_extra=lambda: f"lr {sched.get_last_lr()[0]:.2e}",
        resume=resume,
    )

    def step(_):
        (ids, attn, start, cells), _ = batcher.next()
        loss, acc = llada_loss(model, ids, attn, start, vocab.mask, gen, args.loss, args.t_min, cells_of(cells))
        return loss, {"loss": loss.item(), "acc": acc}

    def evaluate(step):
        te = time.time()
        greedy = evaluate_text(model, vocab, evalset, args.layout, args.eval_canvas, max_blanks=args.max_blanks)
        say(
            f"eval step {step} ({loop.elapsed():.0f}s train+eval, eval {time.time() - te:.0f}s) greedy: {text_summary(greedy)}"
        )
        entry = {"step": step, "seconds": loop.elapsed(), "greedy": greedy}
        if heldout:
            entry["heldout"] = evaluate_text(
                model, vocab, heldout, args.layout, args.eval_canvas, max_blanks=args.max_blanks
            )
            say(f"heldout wordings step {step} greedy: {text_summary(entry['heldout'])}")
        history.append(entry)
        save_checked_lm(model, config, composition, vocab, args.layout, os.path.join(args.out, "lm.pt"))

    averages = {f: TailAverage(model, round(f * args.steps)) for f in fractions}
    resume.add(model=model, batcher=batcher.rng, gen=gen, history=history)
    resume.add(**{f"average from {f}": avg for f, avg in averages.items()})
    last = loop.run(step, evaluate, lambda s, _: [a.update(s - 1) for a in averages.values()])
    for f, avg in averages.items():
        avg.update(last)
        if not avg.count:  # --minutes stopped the run before the averaging began
            say(f"average from step {avg.start}: the run stopped at step {last}, before it; nothing written")
            continue
        with avg.applied():
            name = f"lm-avg{round(f * 100)}.pt"
            save_checked_lm(model, config, composition, vocab, args.layout, os.path.join(args.out, name))
            greedy = evaluate_text(model, vocab, evalset, args.layout, args.eval_canvas, max_blanks=args.max_blanks)
            say(f"average from step {avg.start} ({avg.count} weights, {name}) greedy: {text_summary(greedy)}")
            if heldout:
                held = evaluate_text(model, vocab, heldout, args.layout, args.eval_canvas, max_blanks=args.max_blanks)
                say(f"average from step {avg.start} heldout wordings greedy: {text_summary(held)}")
    conf = evaluate_text(model, vocab, evalset, args.layout, args.eval_canvas, tau=0.9, max_blanks=args.max_blanks)
    say(f"final tau=0.9: {text_summary(conf)}")
    say("final forwards/token tau=0.9: " + " ".join(f"{t}={r['forwards_per_token']:.2f}" for t, r in conf.items()))
    history.append({"step": last, "seconds": loop.elapsed(), "tau0.9": conf})
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)


if __name__ == "__main__":
    main()
