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

import torch

from .checkpoints import load_audio_tower, load_vision_block, save_loaded_lm, save_tower, start_stage
from .cli import media_args, parse_weights, run_args
from .data import Batcher, balanced, by_type, load_jsonl
from .evaluation import evaluate_audio, evaluate_images, evaluate_text, summary
from .lora import add_lora, merge_lora
from .loop import StepLoop
from .losses import AudioStage, image_qa_loss, llada_loss
from .media import AUDIO_STAGE_TYPES, Clips, load_pixels, pick_canvas
from .resume import Resume
from .run_log import run_log
from .schedule import warmup_cosine
from .spliced import run_lm


def save(model, layout, tower, out, lm_dir):
    merged = copy.deepcopy(model)
    merge_lora(merged)
    save_loaded_lm(merged, layout, os.path.join(out, "lm.pt"))
    for name in ("vocab.json", "tokenizer.json"):
        shutil.copy(os.path.join(lm_dir, name), os.path.join(out, name))
    save_tower(tower, os.path.join(out, "audio.pt"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lm", required=True)
    ap.add_argument("--vision", required=True)
    ap.add_argument("--init", required=True, help="audio.pt of stage 2")
    ap.add_argument("--text", required=True, help="text-form training examples (the LM's)")
    ap.add_argument("--text-eval", required=True)
    ap.add_argument("--text-limit", type=int, default=60000, help="first N text examples read")
    media_args(ap, audio=True, images_required=True)
    run_args(ap, steps=1000, lr=1e-3, batch=24)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--tower-lr", type=float, default=5e-4)
    ap.add_argument("--image-batch", type=int, default=12)
    ap.add_argument("--text-batch", type=int, default=16)
    ap.add_argument("--ctc-weight", type=float, default=1.0)
    ap.add_argument("--query-weight", type=float, default=0.1)
    ap.add_argument("--max-blanks", type=int, default=5)
    ap.add_argument("--weights", default="", help="audio task weights over stage 2's, e.g. respond=2,spoken_question=2")
    ap.add_argument("--eval-per-type", type=int, default=30)
    args = ap.parse_args()

    model, layout, vocab = start_stage(args.lm, args.out, args.seed)
    tower = load_audio_tower(args.init)
    stage = AudioStage(model, vocab, tower)  # CTC targets: the LM's input embeddings (LoRA leaves them)
    lora = add_lora(model, args.rank, args.alpha)
    block = load_vision_block(args.vision, model, vocab, layout)
    pixels, eval_pixels = load_pixels(args.images), load_pixels(args.eval_images)

    weights = {**AUDIO_STAGE_TYPES[2], **parse_weights(args.weights)}
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

    history = []

    def evaluate(step):
        model.eval()
        a = evaluate_audio(stage, eval_clips, audio_eval, block, eval_pixels)
        i, _, _ = evaluate_images(model, block, vocab, eval_pixels, image_eval)
        t = evaluate_text(model, vocab, text_eval, layout, 32, max_blanks=args.max_blanks)
        model.train()
        say(
            f"eval step {step}: ctc WER {a['ctc_wer'] * 100:.1f}% LM transcript WER {a['lm_wer'] * 100:.1f}% "
            f"audio: {summary(a['qa'])} | images: {summary(i)} | text: {summary({k: v['exact'] for k, v in t.items()})}"
        )
        history.append({"step": step, "audio": a, "images": i, "text": {k: v["exact"] for k, v in t.items()}})
        if step > 0:
            save(model, layout, tower, args.out, os.path.dirname(args.lm))

    evaluate(0)
    opt = torch.optim.AdamW(
        [
            {"params": lora, "lr": args.lr, "weight_decay": 0.0},
            {"params": tower.parameters(), "lr": args.tower_lr, "weight_decay": 0.01},
        ]
    )
    sched = warmup_cosine(opt, args.steps)
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    # The LM's state holds its LoRA factors; the text batcher draws from its own stream.
    resume = Resume(
        args,
        model=model,
        tower=tower,
        rng=rng,
        gen=gen,
        texts=texts.rng,
        history=history,
    )
    loop = StepLoop(
        lora + list(tower.parameters()), opt, sched, say, steps=args.steps, eval_every=args.eval_every, resume=resume
    )

    def step(_):
        chunk = [rng.choice(audio_train[rng.choices(types, [weights[t] for t in types])[0]]) for _ in range(args.batch)]
        spliced, ids, attn, start, out, lengths = run_lm(
            stage, chunk, clips, block, pixels, pick_canvas(chunk, vocab, rng), rng
        )
        audio_loss, _ = llada_loss(spliced, ids, attn, start, vocab.mask, gen, "flat")
        ctc, _, _ = stage.ctc(out, lengths, [e["spoken"] for e in chunk])
        image_loss = image_qa_loss(model, block, vocab, pixels, rng.sample(image_train, args.image_batch), rng, gen)
        (t_ids, t_attn, t_start, t_cells), _ = texts.next()
        text_loss, _ = llada_loss(
            model, t_ids, t_attn, t_start, vocab.mask, gen, "flat", cells=t_cells if layout == "compound_pos" else None
        )
        loss = audio_loss + args.ctc_weight * ctc + args.query_weight * stage.query_pull(out) + image_loss + text_loss
        figures = {"audio": audio_loss, "ctc": ctc, "image": image_loss, "text": text_loss}
        return loss, {k: v.item() for k, v in figures.items()}

    loop.run(step, evaluate)
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)


if __name__ == "__main__":
    main()
