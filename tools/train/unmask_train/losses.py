"""The training objectives of every stage.

- `llada_loss`: LLaDA's masked-diffusion loss on the answer canvas (the text LM, and the frozen or
  LoRA-adapted LM reading spliced media in the vision and audio stages);
- `Perception`: the vision stage's perception loss, each cell token classified against (and pulled
  onto) the LM's input embeddings of the cell content tokens;
- `AudioStage`: the audio tower with its CTC objective (semantic tokens against the spoken words,
  logits = -squared distance to a table of token embeddings) and the acoustic query pull;
- `image_qa_loss`: llada_loss on image questions through a frozen image block (audio stage 3 keeps
  the LM's image answers with it).
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .audio import AudioTower, semantic_tokens
from .data import position_ids
from .media import Clips, encode, pick_canvas
from .spliced import cell_token_ids, splice
from .vocab import BLANK, Vocab

EPS = 1e-3


def llada_loss(model, ids, attn, start, mask_id, generator, weighting="llada", t_min=EPS, cells=None):
    """Mask each canvas token with probability t ~ U(t_min, 1) (per row; at least one), cross-entropy
    on masked positions divided by t (weighting "llada") or not ("flat"), averaged over canvas
    positions. Returns (loss, share of rows whose masked tokens are all predicted right)."""
    batch, total = ids.shape
    canvas = total - start
    target = ids[:, start:]
    t = t_min + (1 - t_min) * torch.rand(batch, 1, generator=generator)
    masked = torch.rand(batch, canvas, generator=generator) < t
    force = torch.randint(0, canvas, (batch,), generator=generator)
    masked[torch.arange(batch), force] = True
    x = ids.clone()
    x[:, start:][masked] = mask_id
    idx = torch.arange(start, total).unsqueeze(0).expand(batch, canvas)
    embeds = model.embed(x) if cells is None else model.embed(x, cells)
    logits, _ = model(embeds, attention_mask=attn, position_ids=position_ids(attn), logits_indices=idx)
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none").view(batch, canvas)
    weight = masked / t if weighting == "llada" else masked.float()
    loss = (ce * weight).sum() / (batch * canvas)
    with torch.no_grad():
        acc = ((logits.argmax(-1) == target) | ~masked).all(1).float().mean().item()
    return loss, acc


def squared_distances(x: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """x [..., d], table [n, d] -> [..., n]: the squared distance of each row of x to each row of table,
    as |x|^2 - 2 x.e + |e|^2. Never the [..., n, d] difference: at run 5's 1,200-token vocabulary that
    tensor was 660 MB per audio batch, and a step of audio stage 0 took 20 s instead of about 1 s."""
    return x.pow(2).sum(-1, keepdim=True) - 2 * (x @ table.t()) + table.pow(2).sum(-1)


def snap_to_table(out: torch.Tensor, table: torch.Tensor, queries: int) -> torch.Tensor:
    """out [batch, queries + n, d] -> the same with each of the n rows after the queries replaced by
    its nearest row of table [V, d] (squared distance); the query rows unchanged."""
    nearest = squared_distances(out[:, queries:], table).argmin(-1)
    return torch.cat([out[:, :queries], table[nearest]], 1)


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
        return -squared_distances(cells, self.table) * (self.logit_scale / self.hidden)

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


class AudioStage:
    def __init__(
        self,
        model,
        vocab: Vocab,
        tower: AudioTower,
        logit_scale: Optional[float] = None,
        table: Optional[torch.Tensor] = None,
        snap_through: Optional[bool] = None,
    ):
        """`table` [V, hidden]: the CTC targets; by default the frozen LM's input embeddings (the
        encoder pretraining, pretrain_audio.py, passes a learnable table and no LM). `logit_scale` and
        `snap_through` (default: the tower's config): the blocks spliced into the LM are `snapped` (the LM reads
        only its own embeddings), the LM loss's gradient passing straight through the snap."""
        self.model, self.vocab, self.tower = model, vocab, tower
        self.logit_scale = tower.config.ctc_logit_scale if logit_scale is None else logit_scale
        self.snap_through = tower.config.snap_through if snap_through is None else snap_through
        if table is None:
            with torch.no_grad():
                table = model.embed(torch.arange(vocab.n_output).unsqueeze(0))[0]
        self.table = table
        self.blank = vocab.ids[BLANK]
        self.hidden = self.table.shape[1]
        self.queries = tower.config.num_queries

    def rows(self, frames: int) -> int:
        return self.tower.config.tokens_for_frames(frames)

    def encode(self, clips: Clips, indices: Sequence[int]):
        """(tower output, frame lengths, the blocks the LM reads: the rows of `read(output)`)."""
        feats, lengths = clips.batch(indices)
        out = self.tower(feats, lengths)
        read = self.read(out)
        blocks = [read[b, : self.rows(int(n))] for b, n in enumerate(lengths)]
        return out, lengths, blocks

    def ctc_logits(self, semantic: torch.Tensor) -> torch.Tensor:
        return -squared_distances(semantic, self.table) * (self.logit_scale / self.hidden)

    def ctc(self, out: torch.Tensor, lengths: torch.Tensor, texts: Sequence[str]):
        sem = out[:, self.queries :]
        logp = F.log_softmax(self.ctc_logits(sem), -1)
        targets = [torch.tensor(self.vocab.encode_text(t)) for t in texts]
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
            ids, prev = [], None
            for t in row[:n]:
                if t != prev and t != self.blank:
                    ids.append(t)
                prev = t
            out.append(self.vocab.decode(ids))
        return out

    def snap(self, out: torch.Tensor, logp: torch.Tensor, in_len: torch.Tensor) -> torch.Tensor:
        """Mean squared distance of each semantic token to its nearest token's embedding (relative)."""
        sem = out[:, self.queries :]
        target = self.table[logp.argmax(-1).detach()]
        valid = (torch.arange(sem.shape[1]).unsqueeze(0) < in_len.unsqueeze(1)).to(sem.dtype)
        d = (sem - target).pow(2).sum(-1) / target.pow(2).sum(-1).clamp_min(1e-6)
        return (d * valid).sum() / valid.sum().clamp_min(1.0)

    def snapped(self, out: torch.Tensor) -> torch.Tensor:
        """The tower's output with each semantic token replaced by the embedding of its nearest
        table row (the CTC argmax, blanks included); the query tokens unchanged: what the LM answers when
        it reads its own embeddings (diagnose_audio.py; `snap_through` in training)."""
        with torch.no_grad():
            return snap_to_table(out, self.table, self.queries)

    def read(self, out: torch.Tensor) -> torch.Tensor:
        """What the LM reads of the tower's output: the output itself, or with `snap_through` its
        `snapped` values forward and the identity backward (a straight-through estimator)."""
        return out + (self.snapped(out) - out).detach() if self.snap_through else out

    def query_pull(self, out: torch.Tensor) -> torch.Tensor:
        target = self.table[self.blank]
        return ((out[:, : self.queries] - target).pow(2).sum(-1) / target.pow(2).sum()).mean()


def image_qa_loss(model, block, vocab, pixels, chunk, rng, gen):
    """The flat llada_loss of image questions `chunk`, the image block from the frozen `block`."""
    canvas = pick_canvas(chunk, vocab, rng)
    ids, attn, start, image_at, _ = encode(chunk, vocab, canvas, block.rows, [0] * len(chunk), rng)
    with torch.no_grad():
        blocks = block(torch.from_numpy(np.asarray(pixels[[e["image"] for e in chunk]], dtype=np.float32)))
    return llada_loss(
        splice(model, ids, image_at, blocks, [-1] * len(chunk), None), ids, attn, start, vocab.mask, gen, "flat"
    )[0]
