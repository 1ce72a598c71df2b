"""Where a trained audio chain loses answers: per task type, greedy exact match through the audio
tower's continuous output, and again with every semantic token snapped to the embedding of its
nearest token (AudioStage.snapped, as `train_audio --snap-through` trains it); the CTC transcript's WER (what the tower heard) beside the LM
transcript's (what the LM read); and the first wrong answers with their CTC transcript.

    python3 -m unmask_train.diagnose_audio --lm W/lm/lm.pt --vision W/vision/vision.pt \\
        --tower W/audio2/audio.pt --audio W/audio-eval --images W/images-eval --pairs W/pairs-eval.jsonl
"""

from __future__ import annotations

import argparse
import json
import random

import torch

from .checkpoints import load_audio_tower, load_vision_block, start_stage
from .decode import generate
from .evaluation import evaluate_audio
from .losses import AudioStage
from .media import AUDIO_STAGE_TYPES, Clips, load_pixels
from .spliced import run_lm


def wrong_answers(stage: AudioStage, clips: Clips, pairs, limit: int):
    """The first `limit` wrong greedy answers of examples without an image, with the CTC transcript."""
    plain = [e for e in pairs if e.get("image") is None]
    found = []
    for i in range(0, len(plain), 32):
        chunk = plain[i : i + 32]
        with torch.no_grad():
            spliced, ids, attn, start, out, lengths = run_lm(stage, chunk, clips, None, None, 32, with_answer=False)
            filled, _ = generate(spliced, ids, attn, start, stage.vocab.mask, stage.vocab.eos)
            _, logp, in_len = stage.ctc(out, lengths, [e["spoken"] for e in chunk])
        texts = [stage.vocab.decode(r) for r in filled.tolist()]
        for e, heard, said in zip(chunk, stage.ctc_text(logp, in_len), texts):
            if said != e["answer"]:
                found.append(
                    {
                        "type": e["type"],
                        "prompt": e["prompt"],
                        "spoken": e["spoken"],
                        "heard": heard,
                        "got": said,
                        "want": e["answer"],
                    }
                )
        if len(found) >= limit:
            break
    return found[:limit]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lm", required=True)
    ap.add_argument("--vision", help="the vision stage's checkpoint (spoken questions about images)")
    ap.add_argument("--tower", required=True, help="an audio stage's audio.pt")
    ap.add_argument("--audio", required=True, help="evaluation clips (an audio set folder)")
    ap.add_argument("--images", help="evaluation images (with --vision)")
    ap.add_argument("--pairs", required=True, help="evaluation pairs (make_pairs output)")
    ap.add_argument("--stage", type=int, default=2, help="the task types of this audio stage")
    ap.add_argument("--per-type", type=int, default=60)
    ap.add_argument("--show-wrong", type=int, default=8)
    ap.add_argument("--logit-scale", type=float, help="CTC logit scale (default: the tower's)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    model, layout, vocab = start_stage(args.lm, None, 0)
    stage = AudioStage(model, vocab, load_audio_tower(args.tower), args.logit_scale)
    stage.tower.eval()
    block = load_vision_block(args.vision, model, vocab, layout) if args.vision else None
    pixels = load_pixels(args.images) if args.images and block is not None else None
    types = AUDIO_STAGE_TYPES[args.stage]
    by_type = {}
    for e in (json.loads(line) for line in open(args.pairs)):
        if e.get("audio") is not None and e["type"] in types and (e.get("image") is None or block is not None):
            by_type.setdefault(e["type"], []).append(e)
    pairs = [e for t, es in sorted(by_type.items()) for e in random.Random(1).sample(es, min(args.per_type, len(es)))]
    clips = Clips(args.audio)

    print(f"the tower was trained with {'snapped' if stage.snap_through else 'continuous'} semantic tokens")
    results = {}
    for name in ("continuous", "snapped"):
        stage.snap_through = name == "snapped"
        res = evaluate_audio(stage, clips, pairs, block, pixels)
        res["wrong"] = wrong_answers(stage, clips, pairs, args.show_wrong)
        results[name] = res
        exact = ", ".join(f"{t} {v * 100:.0f}" for t, v in sorted(res["qa"].items()))
        print(f"{name}: {exact}; CTC WER {res['ctc_wer'] * 100:.1f}%, LM transcript WER {res['lm_wer'] * 100:.1f}%")
        for w in res["wrong"]:
            print(f"  wrong {w['type']}: {w['prompt']!r} [spoken: {w['spoken']}; heard: {w['heard']}]")
            print(f"    want {w['want']!r}\n    got  {w['got']!r}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
