"""Audio stage 0: pretrains the Whisper-like encoder and the dual adapter on transcription alone,
without the LM: the small-scale analogue of the pretrained Whisper encoder DIFFA starts from.

CTC of the semantic tokens against the spoken words of every clip, with a learnable target table
[vocabulary, LM hidden] in place of the LM's input embeddings, so it needs only the vocabulary and
can run while the text LM trains. Stage 1 (train_audio --stage 1 --init audio.pt) then moves the
adapter's output onto the frozen LM's embeddings. Reports the CTC transcript's word error rate.

  OMP_NUM_THREADS=1 /usr/bin/python3 -m unmask_train.pretrain_audio --vocab tmp/build/lm/vocab.json \
      --audio tmp/build/audio-train --eval-audio tmp/build/audio-eval --out tmp/build/audio0 --steps 6000
"""
from __future__ import annotations

import argparse
import json
import os
import random

import torch

from .audio import AudioTower, default_audio_config
from .checkpoints import save_tower
from .cli import run_args
from .evaluation import wer
from .loop import StepLoop
from .losses import AudioStage
from .media import Clips
from .resume import Resume
from .run_log import run_log
from .schedule import set_warmup_cosine
from .vocab import Vocab


@torch.no_grad()
def ctc_wer(stage: AudioStage, clips: Clips, indices, batch: int = 40) -> float:
    stage.tower.eval()
    total = 0.0
    for i in range(0, len(indices), batch):
        idx = indices[i : i + batch]
        out, lengths, _ = stage.encode(clips, idx)
        _, logp, in_len = stage.ctc(out, lengths, [clips.clips[j]["text"] for j in idx])
        total += sum(wer(h, clips.clips[j]["text"]) for h, j in zip(stage.ctc_text(logp, in_len), idx))
    stage.tower.train()
    return total / max(len(indices), 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", required=True, help="vocab.json of the text LM (train_lm writes it first)")
    ap.add_argument("--audio", required=True)
    ap.add_argument("--eval-audio", required=True)
    run_args(ap, steps=100000, lr=2e-3, batch=24)
    ap.add_argument("--logit-scale", type=float, default=8.0)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--queries", type=int, default=4)
    ap.add_argument("--lm-hidden", type=int, default=128, help="the text LM's hidden size (the width of audio_embeds)")
    ap.add_argument("--eval-n", type=int, default=150)
    args = ap.parse_args()

    torch.set_num_threads(1)
    # Debian torch 1.13: wrong strided conv1d gradients with oneDNN (checkpoints.start_stage)
    torch.backends.mkldnn.enabled = False
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    vocab = Vocab.load(args.vocab)
    tower = AudioTower(default_audio_config(args.hidden, args.layers, args.queries, args.lm_hidden))
    table = torch.nn.Parameter(torch.randn(vocab.n_output, args.lm_hidden))
    stage = AudioStage(None, vocab, tower, args.logit_scale, table=table)
    clips, eval_clips = Clips(args.audio), Clips(args.eval_audio)
    eval_idx = random.Random(1).sample(range(len(eval_clips.clips)), min(args.eval_n, len(eval_clips.clips)))
    rng = random.Random(args.seed)
    say = run_log(args.out)
    say(
        f"audio stage 0 (encoder pretraining): {json.dumps(vars(args))} params={sum(p.numel() for p in tower.parameters())} "
        f"train={len(clips.clips)} eval={len(eval_idx)}"
    )
    params = list(tower.parameters()) + [table]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    history = []
    loop = StepLoop(
        params,
        opt,
        None,
        say,
        steps=args.steps,
        eval_every=args.eval_every,
        minutes=args.minutes,
        log_extra=lambda: f"lr {opt.param_groups[0]['lr']:.2e}",
        resume=Resume(args, tower=tower, table=table, rng=rng, history=history),
    )

    def before_step(step, elapsed):
        # Warm-up, then a cosine over --steps, or over --minutes when the time limit comes first.
        done = max(step / args.steps, elapsed / (args.minutes * 60) if args.minutes else 0.0)
        set_warmup_cosine(opt, args.lr, step, done, warmup=50)

    def step(_):
        idx = [rng.randrange(len(clips.clips)) for _ in range(args.batch)]
        out, lengths, _ = stage.encode(clips, idx)
        loss, _, _ = stage.ctc(out, lengths, [clips.clips[i]["text"] for i in idx])
        return loss, {"ctc": loss.item()}

    def evaluate(step):
        w = ctc_wer(stage, eval_clips, eval_idx)
        say(f"eval step {step}: ctc WER {w * 100:.1f}%")
        history.append({"step": step, "seconds": loop.elapsed(), "ctc_wer": w})
        save_tower(tower, os.path.join(args.out, "audio.pt"))

    loop.run(step, evaluate, before_step)
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)


if __name__ == "__main__":
    main()
