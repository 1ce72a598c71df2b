"""Reference decoding on a canvas of masks: LLaDA's low-confidence remasking with one token per
step, and Dimple's confident decoding (every mask above tau commits; at least one per step).
Once an EOS is committed, every later canvas position becomes EOS (the engine's rule)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch

from .data import position_ids


@dataclass
class DecodeRecord:
    """What generate() saw, for analysis (abstention.py): each canvas position's probability when
    it was committed ([B, canvas]; -1 where a later EOS filled it), and the first forward pass's
    distribution over the whole canvas ([B, canvas, vocab])."""

    confidence: Optional[torch.Tensor] = None
    first_probs: Optional[torch.Tensor] = None


@torch.no_grad()
def generate(
    model,
    ids: torch.Tensor,
    attn: torch.Tensor,
    start: int,
    mask_id: int,
    eos_id: int,
    tau: Optional[float] = None,
    cells: Optional[torch.Tensor] = None,
    record: Optional[DecodeRecord] = None,
) -> Tuple[torch.Tensor, List[int]]:
    """ids: [B, start + canvas] with masks on the canvas. Returns the filled canvas [B, canvas]
    and the number of forward passes each row took. tau=None: one token per step (greedy).
    With `record`, also what each step saw (DecodeRecord)."""
    x = ids.clone()
    batch, total = x.shape
    canvas = total - start
    pos = position_ids(attn)
    idx = torch.arange(start, total).unsqueeze(0).expand(batch, canvas)
    forwards = [0] * batch
    if record is not None:
        record.confidence = torch.full((batch, canvas), -1.0)
    while True:
        masked = x[:, start:] == mask_id
        active = masked.any(1)
        if not active.any():
            break
        embeds = model.embed(x) if cells is None else model.embed(x, cells)
        logits, _ = model(embeds, attention_mask=attn, position_ids=pos, logits_indices=idx)
        # Never commit the mask token itself (an untrained model may rank it first; the loop would not end).
        logits = logits.float().index_fill(-1, torch.tensor([mask_id]), float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        if record is not None and record.first_probs is None:
            record.first_probs = probs
        conf, pred = probs.max(-1)
        conf = torch.where(masked, conf, torch.full_like(conf, -1.0))
        commit = torch.zeros_like(masked)
        best = conf.argmax(1)
        commit[torch.arange(batch), best] = True
        if tau is not None:
            commit |= conf > tau
        commit &= masked
        for b in range(batch):
            if active[b]:
                forwards[b] += 1
        seg = x[:, start:]
        seg[commit] = pred[commit]
        if record is not None:
            record.confidence[commit] = conf[commit]
        # EOS rule: everything after a committed EOS becomes EOS.
        is_eos = seg == eos_id
        after = (is_eos.cumsum(1) - is_eos.long()) > 0
        seg[after] = eos_id
    return x[:, start:], forwards
