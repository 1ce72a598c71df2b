"""The audio stages of the default model (DIFFA): trains the Whisper-like encoder and the dual
adapter with the text LM frozen (and, in stage 2, the vision tower frozen).

- Stage 1 (transcription): examples of type `transcribe` only.
- Stage 2 (instructions): intent, respond, spoken questions about an image, refusals, and some
  transcription to keep it; starts from the stage-1 weights (--init).

The adapter's output (acoustic query tokens, then semantic tokens at frames / 8) replaces the
audio block of the LM's prompt (spliced.py). Losses (losses.py):
- the frozen LM's masked-diffusion loss on the answer (llada_loss, flat weighting);
- CTC of the semantic tokens against the spoken words, the logits being -squared distance / hidden
  to the LM's input embeddings of every vocabulary token, times --logit-scale, blank = `<|blank|>`: the semantic tokens
  learn to sit on the word embeddings the LM reads in its text-form audio block;
- a small pull of the acoustic query tokens toward the `<|blank|>` embedding (the frozen LM never
  saw anything else there in text training).

Reports greedy exact match per type, the CTC transcript's word error rate, and the LM transcript's.

  OMP_NUM_THREADS=1 nice -n 10 /usr/bin/python3 -m unmask_train.train_audio --stage 1 --lm tmp/lm/run/lm.pt \
      --audio tmp/mm/audio-train --pairs tmp/mm/pairs-train.jsonl --eval-audio tmp/mm/audio-eval \
      --eval-pairs tmp/mm/pairs-eval.jsonl --out tmp/mm/audio1 --steps 1500
"""
from __future__ import annotations

import argparse
import json
import os
import random

import torch

from .audio import AudioTower, default_audio_config
from .checkpoints import load_audio_tower, load_vision_block, save_tower, start_stage
from .cli import media_args, run_args
from .data import by_type, load_jsonl
from .evaluation import evaluate_audio, summary
from .loop import StepLoop
from .losses import AudioStage, llada_loss
from .media import AUDIO_STAGE_TYPES as STAGE_TYPES, Clips, load_pixels, pick_canvas
from .resume import Resume
from .run_log import run_log
from .schedule import warmup_cosine
from .spliced import run_lm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", type=int, choices=[1, 2], required=True)
    ap.add_argument("--lm", required=True, help="lm.pt from train_lm (vocab.json beside it)")
    ap.add_argument("--vision", help="vision.pt from train_vision (stage 2: spoken questions about images)")
    ap.add_argument("--init", help="audio.pt to start from (stage 1: pretrain_audio's; stage 2: the stage-1 weights)")
    media_args(ap, audio=True, images_required=False)
    run_args(ap, steps=1500, lr=2e-3, batch=24)
    ap.add_argument("--ctc-weight", type=float, default=1.0)
    ap.add_argument("--qa-weight", type=float, default=1.0)
    ap.add_argument("--query-weight", type=float, default=0.1)
    ap.add_argument(
        "--snap-weight",
        type=float,
        default=0.0,
        help="pull each semantic token onto the embedding of its nearest token (CTC argmax), as the "
        "vision stage pulls cells onto theirs: the frozen LM then reads vectors it knows",
    )
    ap.add_argument(
        "--snap-through",
        action="store_true",
        help="the LM reads each semantic token snapped to its nearest token's embedding (straight-through: "
        "the LM loss's gradient passes the snap unchanged); diagnose_audio showed the frozen LM misreads "
        "the continuous vectors between its embeddings. Kept in the tower's config (a tower --init from "
        "one trained so snaps too) and exported in the adapter graph",
    )
    ap.add_argument(
        "--qa-after",
        type=int,
        default=0,
        help="steps of CTC (and query pull) only before the LM loss joins: much cheaper per step",
    )
    ap.add_argument(
        "--logit-scale",
        type=float,
        help="CTC logits = -squared distance × scale / hidden (default: the --init tower's, 8 for a new one; "
        "kept in the tower). At 8 a 1,200-token BPE table's softmax cannot be sharp: build 7's stage 1 read "
        "at CTC WER 52%% after 500 steps, 7.0%% at 32",
    )
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--queries", type=int, default=4)
    ap.add_argument("--eval-per-type", type=int, default=30)
    args = ap.parse_args()

    model, layout, vocab = start_stage(args.lm, args.out, args.seed)
    if args.init:
        tower = load_audio_tower(args.init)
    else:
        tower = AudioTower(default_audio_config(args.hidden, args.layers, args.queries, model.config.hidden_size))
    if args.snap_through:
        tower.config.snap_through = True  # saved with the tower: later stages and the export snap too
    if args.logit_scale is not None:
        tower.config.ctc_logit_scale = args.logit_scale  # saved too: later stages read it
    stage = AudioStage(model, vocab, tower)
    image_block = load_vision_block(args.vision, model, vocab, layout) if args.vision else None
    pixels = load_pixels(args.images) if args.images else None
    eval_pixels = load_pixels(args.eval_images) if args.eval_images else None

    weights = STAGE_TYPES[args.stage]
    usable = (
        lambda e: e.get("audio") is not None
        and e["type"] in weights
        and (e.get("image") is None or image_block is not None)
    )
    train = by_type([e for e in load_jsonl(args.pairs) if usable(e)])
    rng = random.Random(args.seed)
    eval_by = by_type([e for e in load_jsonl(args.eval_pairs) if usable(e)])
    eval_pairs = [
        e for t, es in sorted(eval_by.items()) for e in random.Random(1).sample(es, min(args.eval_per_type, len(es)))
    ]
    clips, eval_clips = Clips(args.audio), Clips(args.eval_audio)
    types = sorted(train)

    say = run_log(args.out)
    say(
        f"audio stage {args.stage}: {json.dumps(vars(args))} layout={layout} params={sum(p.numel() for p in tower.parameters())} "
        f"train={ {t: len(train[t]) for t in types} } eval={len(eval_pairs)}"
    )
    opt = torch.optim.AdamW(tower.parameters(), lr=args.lr, weight_decay=0.01)
    sched = warmup_cosine(opt, args.steps)
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
        resume=Resume(args, tower=tower, rng=rng, gen=gen, history=history),
    )

    def step(step):
        chunk = [rng.choice(train[rng.choices(types, [weights[t] for t in types])[0]]) for _ in range(args.batch)]
        canvas = pick_canvas(chunk, vocab, rng)
        if step > args.qa_after:
            spliced, ids, attn, start, out, lengths = run_lm(stage, chunk, clips, image_block, pixels, canvas, rng)
            qa, _ = llada_loss(spliced, ids, attn, start, vocab.mask, gen, "flat")
        else:
            out, lengths, _ = stage.encode(clips, [e["audio"] for e in chunk])
            qa = torch.zeros(())
        ctc, logp, in_len = stage.ctc(out, lengths, [e["spoken"] for e in chunk])
        query = stage.query_pull(out)
        snap = stage.snap(out, logp, in_len) if args.snap_weight else torch.zeros(())
        loss = args.ctc_weight * ctc + args.qa_weight * qa + args.query_weight * query + args.snap_weight * snap
        return loss, {"ctc": ctc.item(), "qa": qa.item(), "query": query.item()}

    def evaluate(step):
        res = evaluate_audio(stage, eval_clips, eval_pairs, image_block, eval_pixels)
        say(
            f"eval step {step}: ctc WER {res['ctc_wer'] * 100:.1f}% LM transcript WER {res['lm_wer'] * 100:.1f}% "
            f"greedy: {summary(res['qa'])}"
        )
        history.append({"step": step, "seconds": loop.elapsed(), **res})
        save_tower(tower, os.path.join(args.out, "audio.pt"))

    loop.run(step, evaluate)
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)


if __name__ == "__main__":
    main()
