"""The vision stage of the default model: trains the Dimple-style vision tower (ViT, 2×2 merger,
MLP projector) with the text LM frozen.

Losses, per batch of (image, question, answer) examples from tools/train/make_pairs.ts:
- perception (losses.Perception): each of the 9 projected cell tokens is classified against the LM's
  (frozen) input embeddings of the cell content tokens (`empty`, `red_circle`, ...; logits = -squared
  distance × scale / hidden) with cross-entropy, plus the squared distance to the true token's
  embedding (normalised by its squared norm). This is the analogue of the pretrained encoder the
  papers start from: a tower whose tokens already sit where the LM expects the scene's cell tokens.
- QA: the frozen LM's masked-diffusion loss (losses.llada_loss) on the answer, with the image block
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

import numpy as np
import torch

from .checkpoints import save_tower, start_stage
from .cli import media_args, run_args
from .data import balanced, load_jsonl
from .evaluation import evaluate_vision, summary, text_ceiling
from .loop import StepLoop
from .losses import Perception, llada_loss
from .media import cell_targets, encode, load_pixels, pick_canvas
from .resume import Resume
from .run_log import run_log
from .schedule import warmup_cosine
from .spliced import image_block, splice
from .vision import VisionConfig, VisionTower


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lm", required=True, help="lm.pt from train_lm (vocab.json beside it)")
    media_args(ap, audio=False, images_required=True)
    run_args(ap, steps=1500, lr=2e-3, batch=32)
    ap.add_argument("--qa-weight", type=float, default=1.0)
    ap.add_argument("--mse-weight", type=float, default=1.0)
    ap.add_argument(
        "--logit-scale", type=float, default=8.0, help="perception logits = -squared distance × scale / hidden"
    )
    ap.add_argument("--qa-after", type=int, default=0, help="steps of perception only before the QA loss joins")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--eval-per-type", type=int, default=30)
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
    image_only = lambda e: e.get("image") is not None and e.get("audio") is None
    pairs = [e for e in load_jsonl(args.pairs) if image_only(e)]
    eval_pairs = balanced([e for e in load_jsonl(args.eval_pairs) if image_only(e)], args.eval_per_type)

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
    history = []
    loop = StepLoop(
        tower.parameters(),
        opt,
        sched,
        say,
        steps=args.steps,
        eval_every=args.eval_every,
        minutes=args.minutes,
        formats={"ce": "perception ce {:.3f}", "acc": "cell-acc {:.3f}"},
        resume=Resume(args, tower=tower, rng=rng, gen=gen, history=history),
    )

    def step(step):
        chunk = rng.sample(pairs, args.batch)
        images = [e["image"] for e in chunk]
        pv = torch.from_numpy(np.asarray(pixels[sorted(set(images))], dtype=np.float32))
        where = {img: k for k, img in enumerate(sorted(set(images)))}
        blocks, cells = block.block_and_cells(pv)
        ce, mse, acc = perception.loss(cells, targets[sorted(set(images))])
        loss = ce + args.mse_weight * mse
        qa = torch.zeros(())
        if args.qa_weight > 0 and step > args.qa_after:
            canvas = pick_canvas(chunk, vocab, rng)
            ids, attn, start, image_at, _ = encode(chunk, vocab, canvas, block.rows, [0] * len(chunk), rng)
            spliced = splice(model, ids, image_at, blocks[[where[i] for i in images]], [-1] * len(chunk), None)
            qa, _ = llada_loss(spliced, ids, attn, start, vocab.mask, gen, "flat")
            loss = loss + args.qa_weight * qa
        return loss, {"ce": ce.item(), "mse": mse.item(), "acc": acc, "qa": qa.item()}

    def evaluate(step):
        res = evaluate_vision(model, block, perception, vocab, eval_pixels, eval_targets, eval_pairs)
        say(
            f"eval step {step}: cells {res['cell_accuracy'] * 100:.1f}% all-nine {res['image_all_cells'] * 100:.1f}% "
            f"qa greedy: {summary(res['qa'])}"
        )
        history.append({"step": step, "seconds": loop.elapsed(), **res})
        save_tower(tower, os.path.join(args.out, "vision.pt"), layout=layout)

    loop.run(step, evaluate)
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump({"ceiling": ceiling, "history": history}, f, indent=1)


if __name__ == "__main__":
    main()
