"""Audio stage 3 (optional, the documented deviation of issue 4): LoRA on the LM's attention,
trained with the audio tower on the instruction tasks.

Stages 1–2 keep the LM frozen (DIFFA). At this scale the frozen LM reads the adapter's semantic
tokens worse than the words they stand for (docs/default-model.md), so this stage lets the LM's
attention adapt a little (LoRA, rank --rank, merged into the weights at the end: the exported LM
has the same layout and graph). Since the merged LM serves every prompt, each step also trains
on image questions (vision tower frozen) and on the text-form examples the LM learnt from, so
what the LM could do before is kept; the evaluation at the end reports all three.

Writes lm.pt (merged, train_lm's checkpoint format, vocab.json beside it) and audio.pt.

  OMP_NUM_THREADS=1 /usr/bin/python3 -m unmask_train.train_joint --lm tmp/build/lm/lm.pt \
      --vision tmp/build/vision/vision.pt --init tmp/build/audio2/audio.pt --text tmp/build/text-train.jsonl \
      --text-eval tmp/build/text-eval.jsonl --audio … --images … --pairs … --eval-audio … \
      --eval-images … --eval-pairs … --out tmp/build/audio3 --steps 1000
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import time

import numpy as np
import torch

from .audio import AudioConfig, AudioTower
from .data import Batcher, load_jsonl
from .decode import generate
from .lora import add_lora, merge_lora
from .run_log import run_log
from .schedule import warmup_cosine
from .spliced import by_type, encode, exact_by_type, pick_canvas, splice, start_stage, summary
from .train_audio import STAGE_TYPES, AudioStage, Clips, evaluate as evaluate_audio, load_image_block, run_lm
from .train_lm import evaluate as evaluate_text, llada_loss
from .train_vision import balanced


def image_qa_loss(model, block, vocab, pixels, chunk, rng, gen):
    canvas = pick_canvas(chunk, rng)
    ids, attn, start, image_at, _ = encode(chunk, vocab, canvas, block.rows, [0] * len(chunk), rng)
    with torch.no_grad():
        blocks = block(torch.from_numpy(np.asarray(pixels[[e["image"] for e in chunk]], dtype=np.float32)))
    return llada_loss(
        splice(model, ids, image_at, blocks, [-1] * len(chunk), None), ids, attn, start, vocab.mask, gen, "flat"
    )[0]


@torch.no_grad()
def evaluate_images(model, block, vocab, pixels, pairs, batch=50):
    results = []
    for i in range(0, len(pairs), batch):
        chunk = pairs[i : i + batch]
        ids, attn, start, image_at, _ = encode(chunk, vocab, 32, block.rows, [0] * len(chunk), with_answer=False)
        blocks = block(torch.from_numpy(np.asarray(pixels[[e["image"] for e in chunk]], dtype=np.float32)))
        filled, _ = generate(
            splice(model, ids, image_at, blocks, [-1] * len(chunk), None), ids, attn, start, vocab.mask, vocab.eos
        )
        results += [(e, vocab.decode(r)) for e, r in zip(chunk, filled.tolist())]
    return exact_by_type(results)


def save(model, layout, tower, config, out, lm_dir):
    merged = copy.deepcopy(model)
    merge_lora(merged)
    torch.save(
        {"config": merged.config.to_dict(), "state": merged.state_dict(), "layout": layout}, os.path.join(out, "lm.pt")
    )
    shutil.copy(os.path.join(lm_dir, "vocab.json"), os.path.join(out, "vocab.json"))
    torch.save({"config": config.to_dict(), "state": tower.state_dict()}, os.path.join(out, "audio.pt"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lm", required=True)
    ap.add_argument("--vision", required=True)
    ap.add_argument("--init", required=True, help="audio.pt of stage 2")
    ap.add_argument("--text", required=True, help="text-form training examples (the LM's)")
    ap.add_argument("--text-eval", required=True)
    ap.add_argument("--text-limit", type=int, default=60000, help="first N text examples read")
    ap.add_argument("--audio", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--eval-audio", required=True)
    ap.add_argument("--eval-images", required=True)
    ap.add_argument("--eval-pairs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--lr", type=float, default=1e-3, help="LoRA learning rate")
    ap.add_argument("--tower-lr", type=float, default=5e-4)
    ap.add_argument("--batch", type=int, default=24, help="audio examples per step")
    ap.add_argument("--image-batch", type=int, default=12)
    ap.add_argument("--text-batch", type=int, default=16)
    ap.add_argument("--ctc-weight", type=float, default=1.0)
    ap.add_argument("--query-weight", type=float, default=0.1)
    ap.add_argument("--max-blanks", type=int, default=5)
    ap.add_argument("--weights", default="", help="audio task weights over stage 2's, e.g. respond=2,spoken_question=2")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-per-type", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    model, layout, vocab = start_stage(args.lm, args.out, args.seed)
    ckpt = torch.load(args.init, map_location="cpu")
    config = AudioConfig(**ckpt["config"])
    tower = AudioTower(config)
    tower.load_state_dict(ckpt["state"])
    stage = AudioStage(model, vocab, tower)  # CTC targets: the LM's input embeddings (LoRA leaves them)
    lora = add_lora(model, args.rank, args.alpha)
    block = load_image_block(args.vision, model, vocab, layout)
    pixels = np.load(os.path.join(args.images, "pixel_values.npy"), mmap_mode="r")
    eval_pixels = np.load(os.path.join(args.eval_images, "pixel_values.npy"), mmap_mode="r")

    weights = {**STAGE_TYPES[2], **{k: float(v) for k, v in (kv.split("=") for kv in args.weights.split(",") if kv)}}
    pairs, eval_all = load_jsonl(args.pairs), load_jsonl(args.eval_pairs)
    with_audio = lambda e: e.get("audio") is not None and e["type"] in weights
    image_only = lambda e: e.get("image") is not None and e.get("audio") is None
    audio_train = by_type([e for e in pairs if with_audio(e)])
    types = sorted(audio_train)
    image_train = [e for e in pairs if image_only(e)]
    audio_eval = balanced([e for e in eval_all if with_audio(e)], args.eval_per_type, 1)
    image_eval = balanced([e for e in eval_all if image_only(e)], args.eval_per_type, 1)
    with open(args.text) as f:
        text_train = [json.loads(line) for _, line in zip(range(args.text_limit), f)]
    text_eval = balanced(load_jsonl(args.text_eval), args.eval_per_type, 1)
    texts = Batcher(text_train, vocab, layout, args.text_batch, args.seed, max_blanks=args.max_blanks)
    clips, eval_clips = Clips(args.audio), Clips(args.eval_audio)

    say = run_log(args.out)
    say(
        f"audio stage 3 (LoRA rank {args.rank} on the LM's attention): {json.dumps(vars(args))} "
        f"lora params={sum(p.numel() for p in lora)} audio={ {t: len(audio_train[t]) for t in types} } images={len(image_train)} text={len(text_train)}"
    )

    def report(step):
        model.eval()
        a = evaluate_audio(stage, eval_clips, audio_eval, block, eval_pixels)
        i = evaluate_images(model, block, vocab, eval_pixels, image_eval)
        t = evaluate_text(model, vocab, text_eval, layout, 32, max_blanks=args.max_blanks)
        model.train()
        say(
            f"eval step {step}: ctc WER {a['ctc_wer'] * 100:.1f}% LM transcript WER {a['lm_wer'] * 100:.1f}% "
            f"audio: {summary(a['qa'])} | images: {summary(i)} | text: {summary({k: v['exact'] for k, v in t.items()})}"
        )
        return {"step": step, "audio": a, "images": i, "text": {k: v["exact"] for k, v in t.items()}}

    history = [report(0)]
    opt = torch.optim.AdamW(
        [
            {"params": lora, "lr": args.lr, "weight_decay": 0.0},
            {"params": tower.parameters(), "lr": args.tower_lr, "weight_decay": 0.01},
        ]
    )
    sched = warmup_cosine(opt, args.steps)
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    params = lora + list(tower.parameters())
    t0 = time.time()
    agg = {"audio": 0.0, "ctc": 0.0, "image": 0.0, "text": 0.0, "n": 0}
    for step in range(1, args.steps + 1):
        chunk = [rng.choice(audio_train[rng.choices(types, [weights[t] for t in types])[0]]) for _ in range(args.batch)]
        spliced, ids, attn, start, out, lengths = run_lm(
            stage, chunk, clips, block, pixels, pick_canvas(chunk, rng), rng
        )
        audio_loss, _ = llada_loss(spliced, ids, attn, start, vocab.mask, gen, "flat")
        ctc, _, _ = stage.ctc(out, lengths, [e["spoken"] for e in chunk])
        image_loss = image_qa_loss(model, block, vocab, pixels, rng.sample(image_train, args.image_batch), rng, gen)
        (t_ids, t_attn, t_start, t_cells), _ = texts.next()
        text_loss, _ = llada_loss(
            model, t_ids, t_attn, t_start, vocab.mask, gen, "flat", cells=t_cells if layout == "compound_pos" else None
        )
        loss = audio_loss + args.ctc_weight * ctc + args.query_weight * stage.query_pull(out) + image_loss + text_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        for k, v in (("audio", audio_loss), ("ctc", ctc), ("image", image_loss), ("text", text_loss)):
            agg[k] += v.item()
        agg["n"] += 1
        if step % 50 == 0:
            n = agg.pop("n")
            say(f"step {step} " + " ".join(f"{k} {v / n:.3f}" for k, v in agg.items()) + f" {time.time() - t0:.0f}s")
            agg = {k: 0.0 for k in agg}
            agg["n"] = 0
        if step % args.eval_every == 0 or step == args.steps:
            history.append(report(step))
            save(model, layout, tower, config, args.out, os.path.dirname(args.lm))
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)


if __name__ == "__main__":
    main()
