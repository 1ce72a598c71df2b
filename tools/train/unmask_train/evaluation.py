"""How the stages measure themselves while training: exact match per task type under the reference
decoding (decode.generate), for the text LM on text forms, for image questions through the vision
tower, for audio tasks through the audio tower, plus the vision tower's per-cell accuracy and the
audio tower's CTC and LM transcript word error rates.
"""
from __future__ import annotations

import random
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .checkpoints import load_lm
from .data import encode_batch
from .decode import DecodeRecord, generate
from .media import encode
from .spliced import accept_cell_numbers, run_lm, splice
from .vocab import Vocab


def load_text_lm(ckpt: str, vocab_path: str):
    """A saved text LM (train_lm's lm.pt) and its vocabulary, as the text evaluations decode with
    it: one thread, and for layout compound_pos the cell-position embedding E[row] + E[col] from the
    raw word table (the LM head of a checkpoint saved with factored embeddings; the tied table
    otherwise). Returns (model, layout, vocab)."""
    torch.set_num_threads(1)
    vocab = Vocab.load(vocab_path)
    model, layout = load_lm(ckpt)
    if layout == "compound_pos":
        accept_cell_numbers(model, vocab)
    return model, layout, vocab


def exact_by_type(results: Sequence[Tuple[dict, str]]) -> Dict[str, float]:
    right: Dict[str, List[int]] = defaultdict(list)
    for e, text in results:
        right[e["type"]].append(int(text == e["answer"]))
    return {t: sum(v) / len(v) for t, v in sorted(right.items())}


def summary(acc: Dict[str, float]) -> str:
    """`type=percent ...` of exact-match shares."""
    return " ".join(f"{t}={v * 100:.0f}" for t, v in acc.items())


def wer(hyp: str, ref: str) -> float:
    h, r = hyp.split(), ref.split()
    prev = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        cur = [i]
        for j in range(1, len(h) + 1):
            cur.append(min(prev[j - 1] + (r[i - 1] != h[j - 1]), prev[j] + 1, cur[j - 1] + 1))
        prev = cur
    return prev[len(h)] / max(len(r), 1)


def decode_text_chunk(
    model, vocab, layout, chunk, canvas, tau=None, rng=None, max_blanks=0, record: Optional[DecodeRecord] = None
):
    """Text-form examples encoded without their answers (audio blanks from `rng`, as encode_batch
    draws them) and decoded on a canvas of masks (decode.generate, its `record` too): the filled
    canvas and the forward passes per row."""
    ids, attn, start, cells = encode_batch(chunk, vocab, layout, canvas, rng, max_blanks, with_answer=False)
    extra = cells if layout == "compound_pos" else None
    return generate(model, ids, attn, start, vocab.mask, vocab.eos, tau, extra, record=record)


def evaluate_text(model, vocab, examples, layout, canvas, tau=None, batch_size=100, max_blanks=0, keep_wrong=0):
    """Exact match (decoded text == answer) per type, and forward passes per answer. With
    `max_blanks`, audio blocks get blanks and repeats as in training (a fixed seed): the form the
    audio adapter produces; without, the bare words, a form the LM trained with blanks never saw.
    With `keep_wrong`, each type also lists its first `keep_wrong` wrong answers (prompt, spoken
    words, answer, decoded text): what a failure looks like, not only how many."""
    model.eval()
    by_type = defaultdict(list)
    for e in examples:
        by_type[e["type"]].append(e)
    out = {}
    for t, es in sorted(by_type.items()):
        right, nfe, toks, wrong = 0, 0, 0, []
        for i in range(0, len(es), batch_size):
            chunk = es[i : i + batch_size]
            rng = random.Random(i) if max_blanks else None
            filled, forwards = decode_text_chunk(model, vocab, layout, chunk, canvas, tau, rng, max_blanks)
            for e, row, f in zip(chunk, filled.tolist(), forwards):
                decoded = vocab.decode(row)
                right += decoded == e["answer"]
                if decoded != e["answer"] and len(wrong) < keep_wrong:
                    wrong.append(
                        {"prompt": e["prompt"], "spoken": e.get("spoken"), "answer": e["answer"], "got": decoded}
                    )
                nfe += f
                toks += vocab.text_len(e["answer"]) + 1
        out[t] = {"exact": right / len(es), "n": len(es), "forwards_per_token": nfe / toks}
        if keep_wrong:
            out[t]["wrong"] = wrong
    model.train()
    return out


def text_summary(res) -> str:
    """summary() of evaluate_text's result."""
    return summary({t: r["exact"] for t, r in res.items()})


@torch.no_grad()
def text_ceiling(model, vocab, layout: str, pairs, batch=50):
    """Image questions with the true cells as text: what the LM can do when perception is perfect."""
    results = []
    for i in range(0, len(pairs), batch):
        chunk = pairs[i : i + batch]
        filled, _ = decode_text_chunk(model, vocab, layout, chunk, 32)
        results += [(e, vocab.decode(r)) for e, r in zip(chunk, filled.tolist())]
    return exact_by_type(results)


def image_batch(pixels, indices) -> torch.Tensor:
    return torch.from_numpy(np.asarray(pixels[indices], dtype=np.float32))


@torch.no_grad()
def evaluate_images(model, block, vocab, pixels, pairs, batch=50, tau=None):
    """Greedy exact match per type of image questions, the image block from the (frozen) tower.
    Returns (exact by type, forward passes, answer tokens + 1 each)."""
    results, forwards, tokens = [], 0, 0
    for i in range(0, len(pairs), batch):
        chunk = pairs[i : i + batch]
        ids, attn, start, image_at, _ = encode(chunk, vocab, 32, block.rows, [0] * len(chunk), with_answer=False)
        spliced = splice(
            model, ids, image_at, block(image_batch(pixels, [e["image"] for e in chunk])), [-1] * len(chunk), None
        )
        filled, fw = generate(spliced, ids, attn, start, vocab.mask, vocab.eos, tau)
        for e, row, f in zip(chunk, filled.tolist(), fw):
            results.append((e, vocab.decode(row)))
            forwards += f
            tokens += vocab.text_len(e["answer"]) + 1
    return exact_by_type(results), forwards, tokens


@torch.no_grad()
def evaluate_vision(model, block, perception, vocab, pixels, targets, pairs, tau=None, batch=50):
    """Per-cell accuracy over the images, all-nine-right rate, and greedy exact match per type on `pairs`."""
    block.eval()
    cell_right, image_right, n_img = 0, 0, len(targets)
    for i in range(0, n_img, 100):
        pred = perception.predict(block.block_and_cells(image_batch(pixels, slice(i, i + 100)))[1])
        ok = pred == targets[i : i + 100]
        cell_right += ok.sum().item()
        image_right += ok.all(1).sum().item()
    qa, forwards, tokens = evaluate_images(model, block, vocab, pixels, pairs, batch, tau)
    block.train()
    return {
        "cell_accuracy": cell_right / (9 * n_img),
        "image_all_cells": image_right / n_img,
        "qa": qa,
        "forwards_per_token": forwards / max(tokens, 1),
    }


@torch.no_grad()
def evaluate_audio(stage, clips, pairs, image_block, pixels, batch=40):
    """Greedy exact match per type through the audio tower (and the frozen image block for spoken
    questions), the CTC transcript's WER and the LM transcript's WER on `transcribe` examples."""
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
