"""The vision stage of the default model: trains the Dimple-style vision tower (ViT, 2×2 merger,
MLP projector) with the text LM frozen.

Losses, per batch of (image, question, answer) examples from tools/train/make_pairs.ts:
- perception: each of the 9 projected cell tokens is classified against the LM's (frozen) input
  embeddings of the cell content tokens (`empty`, `red_circle`, ...; logits = -squared distance × scale / hidden)
  with cross-entropy, plus the squared distance to the true token's embedding (normalised by its
  squared norm). This is the analogue of the pretrained encoder the papers start from: a tower whose
  tokens already sit where the LM expects the scene's cell tokens.
- QA: the frozen LM's masked-diffusion loss (train_lm.llada_loss) on the answer, with the image block
  replaced by the tower's output (spliced.ImageBlock: 18 rows with layout "pair", 9 with "compound").

Reports per-cell accuracy (nearest cell-token embedding) and greedy exact match per question type on
held-out images, next to the same LM reading the true cells as text (the ceiling).

  OMP_NUM_THREADS=1 nice -n 10 /usr/bin/python3 -m unmask_train.train_vision --lm tmp/lm/run/lm.pt \
      --images tmp/mm/images-train --pairs tmp/mm/pairs-train.jsonl \
      --eval-images tmp/mm/images-eval --eval-pairs tmp/mm/pairs-eval.jsonl --out tmp/mm/vision --steps 1500
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from .data import encode_batch, load_jsonl
from .decode import generate
from .spliced import (
    ImageBlock,
    by_type,
    cell_token_ids,
    encode,
    exact_by_type,
    image_block,
    pick_canvas,
    splice,
    start_stage,
    summary,
)
from .train_lm import llada_loss
from .vision import VisionConfig, VisionTower
from .vocab import Vocab
from .run_log import run_log
from .schedule import warmup_cosine


def load_pixels(folder: str) -> np.ndarray:
    return np.load(os.path.join(folder, "pixel_values.npy"), mmap_mode="r")


def cell_targets(scenes, vocab: Vocab) -> torch.Tensor:
    return torch.tensor([[vocab.ids[c] for c in s["cells"]] for s in scenes], dtype=torch.long)


class Perception:
    """Nearest-embedding classification of cell tokens against the LM's cell-token embeddings."""

    def __init__(self, model, vocab: Vocab, logit_scale: float = 8.0):
        self.logit_scale = logit_scale
        self.ids = torch.tensor(cell_token_ids(vocab))
        with torch.no_grad():
            self.table = model.embed(self.ids.unsqueeze(0))[0]  # [n_cells, hidden]
        self.index = {int(t): i for i, t in enumerate(self.ids)}
        self.hidden = self.table.shape[1]

    def classes(self, token_ids: torch.Tensor) -> torch.Tensor:
        return torch.tensor([self.index[int(t)] for t in token_ids.reshape(-1)]).view(token_ids.shape)

    def logits(self, cells: torch.Tensor) -> torch.Tensor:
        """cells [..., hidden] -> [..., n_cells] = -squared distance × logit_scale / hidden."""
        d = (cells.unsqueeze(-2) - self.table).pow(2).sum(-1)
        return -d * (self.logit_scale / self.hidden)

    def loss(self, cells: torch.Tensor, token_ids: torch.Tensor):
        cls = self.classes(token_ids)
        logits = self.logits(cells)
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), cls.reshape(-1))
        target = self.table[cls]
        mse = ((cells - target).pow(2).sum(-1) / target.pow(2).sum(-1)).mean()
        acc = (logits.argmax(-1) == cls).float().mean().item()
        return ce, mse, acc

    def predict(self, cells: torch.Tensor) -> torch.Tensor:
        return self.ids[self.logits(cells).argmax(-1)]


@torch.no_grad()
def evaluate(
    model, block: ImageBlock, perception: Perception, vocab: Vocab, pixels, targets, pairs, tau=None, batch=50
):
    """Per-cell accuracy over the images, all-nine-right rate, and greedy exact match per type on `pairs`
    (and the text-form ceiling: the same questions with the true cells as text)."""
    block.eval()
    cell_right, image_right, n_img = 0, 0, len(targets)
    for i in range(0, n_img, 100):
        pv = torch.from_numpy(np.asarray(pixels[i : i + 100], dtype=np.float32))
        pred = perception.predict(block.block_and_cells(pv)[1])
        ok = pred == targets[i : i + 100]
        cell_right += ok.sum().item()
        image_right += ok.all(1).sum().item()
    results, forwards, tokens = [], 0, 0
    for i in range(0, len(pairs), batch):
        chunk = pairs[i : i + batch]
        ids, attn, start, image_at, _ = encode(chunk, vocab, 32, block.rows, [0] * len(chunk), with_answer=False)
        pv = torch.from_numpy(np.asarray(pixels[[e["image"] for e in chunk]], dtype=np.float32))
        spliced = splice(model, ids, image_at, block(pv), [-1] * len(chunk), None)
        filled, fw = generate(spliced, ids, attn, start, vocab.mask, vocab.eos, tau)
        for e, row, f in zip(chunk, filled.tolist(), fw):
            results.append((e, vocab.decode(row)))
            forwards += f
            tokens += len(e["answer"].split()) + 1
    block.train()
    return {
        "cell_accuracy": cell_right / (9 * n_img),
        "image_all_cells": image_right / n_img,
        "qa": exact_by_type(results),
        "forwards_per_token": forwards / max(tokens, 1),
    }


@torch.no_grad()
def text_ceiling(model, vocab: Vocab, layout: str, pairs, batch=50):
    results = []
    for i in range(0, len(pairs), batch):
        chunk = pairs[i : i + batch]
        ids, attn, start, *cells = encode_batch(chunk, vocab, layout, 32, with_answer=False)
        extra = (cells[0],) if layout == "compound_pos" else ()
        filled, _ = generate(model, ids, attn, start, vocab.mask, vocab.eos, None, *extra)
        results += [(e, vocab.decode(r)) for e, r in zip(chunk, filled.tolist())]
    return exact_by_type(results)


def balanced(pairs, per_type: int, seed: int = 0):
    rng = random.Random(seed)
    out = []
    for t, es in sorted(by_type(pairs).items()):
        out += rng.sample(es, min(per_type, len(es)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lm", required=True, help="lm.pt from train_lm (vocab.json beside it)")
    ap.add_argument("--images", required=True)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--eval-images", required=True)
    ap.add_argument("--eval-pairs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--qa-weight", type=float, default=1.0)
    ap.add_argument("--mse-weight", type=float, default=1.0)
    ap.add_argument(
        "--logit-scale", type=float, default=8.0, help="perception logits = -squared distance × scale / hidden"
    )
    ap.add_argument("--qa-after", type=int, default=0, help="steps of perception only before the QA loss joins")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-per-type", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    model, layout, vocab = start_stage(args.lm, args.out, args.seed)
    perception = Perception(model, vocab, args.logit_scale)
    tower = VisionTower(
        VisionConfig(
            hidden_size=args.hidden,
            intermediate_size=4 * args.hidden,
            num_hidden_layers=args.layers,
            num_attention_heads=4,
            lm_hidden_size=model.config.hidden_size,
        )
    )
    block = image_block(tower, model, vocab, layout)

    pixels, eval_pixels = load_pixels(args.images), load_pixels(args.eval_images)
    targets = cell_targets(load_jsonl(os.path.join(args.images, "scenes.jsonl")), vocab)
    eval_targets = cell_targets(load_jsonl(os.path.join(args.eval_images, "scenes.jsonl")), vocab)
    pairs = [e for e in load_jsonl(args.pairs) if e.get("image") is not None and e.get("audio") is None]
    eval_pairs = balanced(
        [e for e in load_jsonl(args.eval_pairs) if e.get("image") is not None and e.get("audio") is None],
        args.eval_per_type,
    )

    say = run_log(args.out)

    say(
        f"vision stage: {json.dumps(vars(args))} layout={layout} rows={block.rows} "
        f"params={sum(p.numel() for p in tower.parameters())} train pairs={len(pairs)} eval pairs={len(eval_pairs)}"
    )
    ceiling = text_ceiling(model, vocab, layout, eval_pairs)
    say(f"text-form ceiling (same LM, true cells as text): {summary(ceiling)}")

    opt = torch.optim.AdamW(tower.parameters(), lr=args.lr, weight_decay=0.01)
    sched = warmup_cosine(opt, args.steps)
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    history = []
    agg = {"ce": 0.0, "mse": 0.0, "qa": 0.0, "acc": 0.0, "n": 0}
    step = 0
    for step in range(1, args.steps + 1):
        chunk = rng.sample(pairs, args.batch)
        images = [e["image"] for e in chunk]
        pv = torch.from_numpy(np.asarray(pixels[sorted(set(images))], dtype=np.float32))
        where = {img: k for k, img in enumerate(sorted(set(images)))}
        blocks, cells = block.block_and_cells(pv)
        ce, mse, acc = perception.loss(cells, targets[sorted(set(images))])
        loss = ce + args.mse_weight * mse
        qa = torch.zeros(())
        if args.qa_weight > 0 and step > args.qa_after:
            canvas = pick_canvas(chunk, rng)
            ids, attn, start, image_at, _ = encode(chunk, vocab, canvas, block.rows, [0] * len(chunk), rng)
            spliced = splice(model, ids, image_at, blocks[[where[i] for i in images]], [-1] * len(chunk), None)
            qa, _ = llada_loss(spliced, ids, attn, start, vocab.mask, gen, "flat")
            loss = loss + args.qa_weight * qa
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tower.parameters(), 1.0)
        opt.step()
        sched.step()
        for k, v in (("ce", ce.item()), ("mse", mse.item()), ("qa", qa.item()), ("acc", acc)):
            agg[k] += v
        agg["n"] += 1
        if step % 50 == 0:
            n = agg["n"]
            say(
                f"step {step} perception ce {agg['ce'] / n:.3f} mse {agg['mse'] / n:.3f} cell-acc {agg['acc'] / n:.3f} "
                f"qa {agg['qa'] / n:.3f} {time.time() - t0:.0f}s"
            )
            agg = {k: 0.0 for k in agg}
            agg["n"] = 0
        stop = args.minutes and time.time() - t0 > args.minutes * 60
        if step % args.eval_every == 0 or step == args.steps or stop:
            res = evaluate(model, block, perception, vocab, eval_pixels, eval_targets, eval_pairs)
            say(
                f"eval step {step}: cells {res['cell_accuracy'] * 100:.1f}% all-nine {res['image_all_cells'] * 100:.1f}% "
                f"qa greedy: {summary(res['qa'])}"
            )
            history.append({"step": step, "seconds": time.time() - t0, **res})
            torch.save(
                {"config": tower.config.to_dict(), "state": tower.state_dict(), "layout": layout},
                os.path.join(args.out, "vision.pt"),
            )
        if stop:
            break
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump({"ceiling": ceiling, "history": history}, f, indent=1)


if __name__ == "__main__":
    main()
