"""The audio stages of the default model (DIFFA): trains the Whisper-like encoder and the dual
adapter with the text LM frozen (and, in stage 2, the vision tower frozen).

- Stage 1 (transcription): examples of type `transcribe` only.
- Stage 2 (instructions): intent, respond, spoken questions about an image, refusals, and some
  transcription to keep it; starts from the stage-1 weights (--init).

The adapter's output (acoustic query tokens, then semantic tokens at frames / 8) replaces the
audio block of the LM's prompt (spliced.py). Losses:
- the frozen LM's masked-diffusion loss on the answer (train_lm.llada_loss, flat weighting);
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
import time
from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .audio import AudioConfig, AudioTower, default_audio_config, semantic_tokens
from .data import load_jsonl
from .decode import generate
from .spliced import by_type, encode, exact_by_type, image_block, pick_canvas, splice, start_stage, summary
from .train_lm import llada_loss
from .vision import VisionConfig, VisionTower
from .vocab import BLANK, Vocab, join_words, split_words
from .run_log import run_log
from .schedule import warmup_cosine

STAGE_TYPES = {
    1: {"transcribe": 1.0},
    2: {"transcribe": 0.5, "intent": 1.0, "respond": 1.0, "spoken_question": 1.5, "refusal": 0.3},
}


class Clips:
    """input_features.npy (time-major, float16) + frames.npy of a tools/datagen audio set."""

    def __init__(self, folder: str):
        self.features = np.load(os.path.join(folder, "input_features.npy"), mmap_mode="r")
        self.frames = np.load(os.path.join(folder, "frames.npy")).astype(np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.frames)])
        self.clips = load_jsonl(os.path.join(folder, "clips.jsonl"))

    def batch(self, indices: Sequence[int]):
        """[B, n_mels, max_frames] (zero right padding) and frame lengths [B]."""
        lengths = [int(self.frames[i]) for i in indices]
        out = np.zeros((len(indices), self.features.shape[1], max(lengths)), dtype=np.float32)
        for b, i in enumerate(indices):
            out[b, :, : lengths[b]] = np.asarray(
                self.features[self.offsets[i] : self.offsets[i + 1]], dtype=np.float32
            ).T
        return torch.from_numpy(out), torch.tensor(lengths)


class AudioStage:
    def __init__(
        self, model, vocab: Vocab, tower: AudioTower, logit_scale: float = 8.0, table: Optional[torch.Tensor] = None
    ):
        """`table` [V, hidden]: the CTC targets; by default the frozen LM's input embeddings (the
        encoder pretraining, pretrain_audio.py, passes a learnable table and no LM)."""
        self.model, self.vocab, self.tower, self.logit_scale = model, vocab, tower, logit_scale
        if table is None:
            with torch.no_grad():
                table = model.embed(torch.arange(len(vocab)).unsqueeze(0))[0]
        self.table = table
        self.blank = vocab.ids[BLANK]
        self.hidden = self.table.shape[1]
        self.queries = tower.config.num_queries

    def rows(self, frames: int) -> int:
        return self.tower.config.tokens_for_frames(frames)

    def encode(self, clips: Clips, indices: Sequence[int]):
        feats, lengths = clips.batch(indices)
        out = self.tower(feats, lengths)
        blocks = [out[b, : self.rows(int(n))] for b, n in enumerate(lengths)]
        return out, lengths, blocks

    def ctc_logits(self, semantic: torch.Tensor) -> torch.Tensor:
        return -(semantic.unsqueeze(-2) - self.table).pow(2).sum(-1) * (self.logit_scale / self.hidden)

    def ctc(self, out: torch.Tensor, lengths: torch.Tensor, texts: Sequence[str]):
        sem = out[:, self.queries :]
        logp = F.log_softmax(self.ctc_logits(sem), -1)
        targets = [torch.tensor(self.vocab.encode_words(split_words(t))) for t in texts]
        in_len = torch.tensor([semantic_tokens(int(n)) for n in lengths])
        loss = F.ctc_loss(
            logp.transpose(0, 1),
            torch.cat(targets),
            in_len,
            torch.tensor([len(t) for t in targets]),
            blank=self.blank,
            reduction="mean",
            zero_infinity=True,
        )
        return loss, logp, in_len

    def ctc_text(self, logp: torch.Tensor, in_len: torch.Tensor) -> List[str]:
        out = []
        for row, n in zip(logp.argmax(-1).tolist(), in_len.tolist()):
            words, prev = [], None
            for t in row[:n]:
                if t != prev and t != self.blank:
                    words.append(self.vocab.tokens[t])
                prev = t
            out.append(join_words(words))
        return out

    def snap(self, out: torch.Tensor, logp: torch.Tensor, in_len: torch.Tensor) -> torch.Tensor:
        """Mean squared distance of each semantic token to its nearest token's embedding (relative)."""
        sem = out[:, self.queries :]
        target = self.table[logp.argmax(-1).detach()]
        valid = (torch.arange(sem.shape[1]).unsqueeze(0) < in_len.unsqueeze(1)).to(sem.dtype)
        d = (sem - target).pow(2).sum(-1) / target.pow(2).sum(-1).clamp_min(1e-6)
        return (d * valid).sum() / valid.sum().clamp_min(1.0)

    def query_pull(self, out: torch.Tensor) -> torch.Tensor:
        target = self.table[self.blank]
        return ((out[:, : self.queries] - target).pow(2).sum(-1) / target.pow(2).sum()).mean()


def wer(hyp: str, ref: str) -> float:
    h, r = hyp.split(), ref.split()
    prev = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        cur = [i]
        for j in range(1, len(h) + 1):
            cur.append(min(prev[j - 1] + (r[i - 1] != h[j - 1]), prev[j] + 1, cur[j - 1] + 1))
        prev = cur
    return prev[len(h)] / max(len(r), 1)


def load_image_block(path: str, model, vocab: Vocab, layout: str):
    ckpt = torch.load(path, map_location="cpu")
    tower = VisionTower(VisionConfig(**ckpt["config"]))
    tower.load_state_dict(ckpt["state"])
    block = image_block(tower, model, vocab, layout).eval()
    for p in block.parameters():
        p.requires_grad_(False)
    return block


def run_lm(stage: AudioStage, chunk, clips: Clips, image_block, pixels, canvas, rng=None, with_answer=True):
    """Towers -> spliced LM for a chunk of examples. Returns (spliced, ids, attn, start, tower out, lengths)."""
    idx = [e["audio"] for e in chunk]
    out, lengths, blocks = stage.encode(clips, idx)
    images = [e for e in chunk if e.get("image") is not None]
    rows = image_block.rows if image_block is not None else 0
    ids, attn, start, image_at, audio_at = encode(
        chunk, stage.vocab, canvas, rows, [b.shape[0] for b in blocks], rng, with_answer
    )
    image_blocks = None
    if images:
        with torch.no_grad():
            image_blocks = image_block(
                torch.from_numpy(np.asarray(pixels[[e["image"] for e in images]], dtype=np.float32))
            )
    return splice(stage.model, ids, image_at, image_blocks, audio_at, blocks), ids, attn, start, out, lengths


@torch.no_grad()
def evaluate(stage: AudioStage, clips: Clips, pairs, image_block, pixels, batch=40):
    stage.tower.eval()
    results, ctc_wer, lm_wer, n_tr = [], 0.0, 0.0, 0
    for i in range(0, len(pairs), batch):
        chunk = pairs[i : i + batch]
        spliced, ids, attn, start, out, lengths = run_lm(
            stage, chunk, clips, image_block, pixels, 32, with_answer=False
        )
        filled, _ = generate(spliced, ids, attn, start, stage.vocab.mask, stage.vocab.eos)
        texts = [stage.vocab.decode(r) for r in filled.tolist()]
        results += list(zip(chunk, texts))
        _, logp, in_len = stage.ctc(out, lengths, [e["spoken"] for e in chunk])
        for e, c, t in zip(chunk, stage.ctc_text(logp, in_len), texts):
            if e["type"] == "transcribe":
                ctc_wer += wer(c, e["spoken"])
                lm_wer += wer(t, e["answer"])
                n_tr += 1
    stage.tower.train()
    return {"qa": exact_by_type(results), "ctc_wer": ctc_wer / max(n_tr, 1), "lm_wer": lm_wer / max(n_tr, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", type=int, choices=[1, 2], required=True)
    ap.add_argument("--lm", required=True, help="lm.pt from train_lm (vocab.json beside it)")
    ap.add_argument("--vision", help="vision.pt from train_vision (stage 2: spoken questions about images)")
    ap.add_argument("--init", help="audio.pt to start from (stage 1: pretrain_audio's; stage 2: the stage-1 weights)")
    ap.add_argument("--audio", required=True)
    ap.add_argument("--images", help="image set the pairs' `image` indices refer to")
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--eval-audio", required=True)
    ap.add_argument("--eval-images")
    ap.add_argument("--eval-pairs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--lr", type=float, default=2e-3)
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
        "--qa-after",
        type=int,
        default=0,
        help="steps of CTC (and query pull) only before the LM loss joins: much cheaper per step",
    )
    ap.add_argument(
        "--logit-scale",
        type=float,
        default=8.0,
        help="CTC logits = -squared distance × scale / hidden (distinct embeddings lie ~2 apart at scale 1)",
    )
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--queries", type=int, default=4)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-per-type", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    model, layout, vocab = start_stage(args.lm, args.out, args.seed)
    if args.init:
        ckpt = torch.load(args.init, map_location="cpu")
        config = AudioConfig(**ckpt["config"])
        tower = AudioTower(config)
        tower.load_state_dict(ckpt["state"])
    else:
        config = default_audio_config(args.hidden, args.layers, args.queries, model.config.hidden_size)
        tower = AudioTower(config)
    stage = AudioStage(model, vocab, tower, args.logit_scale)
    image_block = load_image_block(args.vision, model, vocab, layout) if args.vision else None
    pixels = np.load(os.path.join(args.images, "pixel_values.npy"), mmap_mode="r") if args.images else None
    eval_pixels = (
        np.load(os.path.join(args.eval_images, "pixel_values.npy"), mmap_mode="r") if args.eval_images else None
    )

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
    t0 = time.time()
    history = []
    agg = {"ctc": 0.0, "qa": 0.0, "query": 0.0, "n": 0}
    step = 0
    for step in range(1, args.steps + 1):
        chunk = [rng.choice(train[rng.choices(types, [weights[t] for t in types])[0]]) for _ in range(args.batch)]
        canvas = pick_canvas(chunk, rng)
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
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tower.parameters(), 1.0)
        opt.step()
        sched.step()
        for k, v in (("ctc", ctc.item()), ("qa", qa.item()), ("query", query.item())):
            agg[k] += v
        agg["n"] += 1
        if step % 50 == 0:
            n = agg["n"]
            say(
                f"step {step} ctc {agg['ctc'] / n:.3f} qa {agg['qa'] / n:.3f} query {agg['query'] / n:.3f} {time.time() - t0:.0f}s"
            )
            agg = {k: 0.0 for k in agg}
            agg["n"] = 0
        stop = args.minutes and time.time() - t0 > args.minutes * 60
        if step % args.eval_every == 0 or step == args.steps or stop:
            res = evaluate(stage, eval_clips, eval_pairs, image_block, eval_pixels)
            say(
                f"eval step {step}: ctc WER {res['ctc_wer'] * 100:.1f}% LM transcript WER {res['lm_wer'] * 100:.1f}% "
                f"greedy: {summary(res['qa'])}"
            )
            history.append({"step": step, "seconds": time.time() - t0, **res})
            torch.save({"config": config.to_dict(), "state": tower.state_dict()}, os.path.join(args.out, "audio.pt"))
        if stop:
            break
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(history, f, indent=1)


if __name__ == "__main__":
    main()
