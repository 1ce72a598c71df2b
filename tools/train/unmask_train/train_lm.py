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
import random
import time
from collections import defaultdict

import torch
import torch.nn.functional as F

from .data import LAYOUTS, Batcher, encode_batch, load_jsonl, position_ids
from .decode import generate
from .factored import install as install_factored, materialised_state
from .lm import LMConfig, MaskedDiffusionLM
from .vocab import Vocab, split_words
from .run_log import run_log
from .schedule import warmup_cosine

EPS = 1e-3


def llada_loss(model, ids, attn, start, mask_id, generator, weighting="llada", t_min=EPS, cells=None):
    """Mask each canvas token with probability t ~ U(t_min, 1) (per row; at least one), cross-entropy
    on masked positions divided by t (weighting "llada") or not ("flat"), averaged over canvas
    positions."""
    batch, total = ids.shape
    canvas = total - start
    target = ids[:, start:]
    t = t_min + (1 - t_min) * torch.rand(batch, 1, generator=generator)
    masked = torch.rand(batch, canvas, generator=generator) < t
    force = torch.randint(0, canvas, (batch,), generator=generator)
    masked[torch.arange(batch), force] = True
    x = ids.clone()
    x[:, start:][masked] = mask_id
    idx = torch.arange(start, total).unsqueeze(0).expand(batch, canvas)
    embeds = model.embed(x) if cells is None else model.embed(x, cells)
    logits, _ = model(embeds, attention_mask=attn, position_ids=position_ids(attn), logits_indices=idx)
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none").view(batch, canvas)
    weight = masked / t if weighting == "llada" else masked.float()
    loss = (ce * weight).sum() / (batch * canvas)
    with torch.no_grad():
        acc = ((logits.argmax(-1) == target) | ~masked).all(1).float().mean().item()
    return loss, acc


def evaluate(model, vocab, examples, layout, canvas, tau=None, batch_size=100, max_blanks=0):
    """Exact match (decoded text == answer) per type, and forward passes per answer. With
    `max_blanks`, audio blocks get blanks and repeats as in training (a fixed seed): the form the
    audio adapter produces; without, the bare words, a form the LM trained with blanks never saw."""
    model.eval()
    by_type = defaultdict(list)
    for e in examples:
        by_type[e["type"]].append(e)
    out = {}
    for t, es in sorted(by_type.items()):
        right, nfe, toks = 0, 0, 0
        for i in range(0, len(es), batch_size):
            chunk = es[i : i + batch_size]
            rng = random.Random(i) if max_blanks else None
            ids, attn, start, cells = encode_batch(chunk, vocab, layout, canvas, rng, max_blanks, with_answer=False)
            filled, forwards = generate(
                model, ids, attn, start, vocab.mask, vocab.eos, tau, cells if layout == "compound_pos" else None
            )
            for e, row, f in zip(chunk, filled.tolist(), forwards):
                right += vocab.decode(row) == e["answer"]
                nfe += f
                toks += len(split_words(e["answer"])) + 1
        out[t] = {"exact": right / len(es), "n": len(es), "forwards_per_token": nfe / toks}
    model.train()
    return out


def save_checkpoint(model, config, composition, layout, path):
    """Plain LLaDA-style weights: with factored embeddings the composition is materialised and the
    LM head untied (tie_word_embeddings False)."""
    if composition is None:
        cfg, state = config.to_dict(), model.state_dict()
    else:
        cfg = {**config.to_dict(), "tie_word_embeddings": False}
        state = materialised_state(model, composition)
    torch.save({"config": cfg, "state": state, "layout": layout}, path)


def summary(res):
    return " ".join(f"{t}={r['exact']*100:.0f}" for t, r in res.items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", help="vocabulary JSON to reuse (built from --train otherwise)")
    ap.add_argument("--layout", default="compound_pos", choices=list(LAYOUTS))
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--minutes", type=float, default=0, help="stop after this many minutes (0 = no limit)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=384)
    ap.add_argument("--max-blanks", type=int, default=5)
    ap.add_argument("--eval-every", type=int, default=500)
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
    ap.add_argument("--t-min", type=float, default=EPS)
    ap.add_argument(
        "--init",
        default="default",
        choices=["default", "small"],
        help="default: PyTorch's (embeddings N(0,1), linear Kaiming-uniform); small: N(0, 0.02) everywhere",
    )
    ap.add_argument("--factored", type=int, default=1, help="compose compound-token embeddings (unmask_train.factored)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    train = load_jsonl(args.train)
    vocab = Vocab.load(args.vocab) if args.vocab else Vocab.build(train)
    vocab.save(os.path.join(args.out, "vocab.json"))
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(vocab.tokenizer_json(), f, indent=1)
    per_type = defaultdict(list)
    for e in load_jsonl(args.eval):
        if len(per_type[e["type"]]) < args.eval_n:
            per_type[e["type"]].append(e)
    evalset = [e for es in per_type.values() for e in es]

    weights = {k: float(v) for k, v in (kv.split("=") for kv in args.weights.split(",") if kv)}
    batcher = Batcher(
        train,
        vocab,
        args.layout,
        args.batch,
        args.seed,
        weights,
        p_smallest=args.p_smallest,
        max_blanks=args.max_blanks,
    )
    head_dim = args.hidden // args.heads
    config = LMConfig(
        vocab_size=len(vocab),
        hidden_size=args.hidden,
        intermediate_size=args.ffn,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.heads,
        head_dim=head_dim,
        max_position_embeddings=256,
    )
    model = MaskedDiffusionLM(config)
    if args.init == "small":
        for name, p in model.named_parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)
    composition = install_factored(model, vocab) if args.factored else None
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
    t0 = time.time()
    history = []
    run_loss, run_acc, n = 0.0, 0.0, 0
    step = 0
    for step in range(1, args.steps + 1):
        (ids, attn, start, cells), _ = batcher.next()
        loss, acc = llada_loss(
            model,
            ids,
            attn,
            start,
            vocab.mask,
            gen,
            args.loss,
            args.t_min,
            cells if args.layout == "compound_pos" else None,
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        run_loss += loss.item()
        run_acc += acc
        n += 1
        if step % args.log_every == 0:
            say(
                f"step {step} loss {run_loss / n:.4f} masked-all-right {run_acc / n:.3f} lr {sched.get_last_lr()[0]:.2e} {time.time() - t0:.0f}s"
            )
            run_loss, run_acc, n = 0.0, 0.0, 0
        stop = args.minutes and time.time() - t0 > args.minutes * 60
        if step % args.eval_every == 0 or step == args.steps or stop:
            te = time.time()
            greedy = evaluate(model, vocab, evalset, args.layout, args.eval_canvas, max_blanks=args.max_blanks)
            say(
                f"eval step {step} ({time.time() - t0:.0f}s train+eval, eval {time.time() - te:.0f}s) greedy: {summary(greedy)}"
            )
            history.append({"step": step, "seconds": time.time() - t0, "greedy": greedy})
            save_checkpoint(model, config, composition, args.layout, os.path.join(args.out, "lm.pt"))
        if stop:
            break
    conf = evaluate(model, vocab, evalset, args.layout, args.eval_canvas, tau=0.9, max_blanks=args.max_blanks)
    say(f"final tau=0.9: {summary(conf)}")
    say("final forwards/token tau=0.9: " + " ".join(f"{t}={r['forwards_per_token']:.2f}" for t, r in conf.items()))
    history.append({"step": step, "seconds": time.time() - t0, "tau0.9": conf})
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)


if __name__ == "__main__":
    main()
