"""Checkpoints of the stages: the text LM (lm.pt, vocab.json beside it), the vision tower
(vision.pt) and the audio tower (audio.pt), and what every stage after the text LM does first
(`start_stage`).

lm.pt is {config, state, layout}: plain LLaDA-style weights. With factored embeddings the
composition is materialised and the LM head untied (tie_word_embeddings False), so the exported
graph is an ordinary LM. The towers' files are {config, state}.
"""
from __future__ import annotations

import os
from typing import Optional, Tuple

import torch

from .audio import AudioConfig, AudioTower
from .factored import materialised_state, trained_cell_positions
from .wordvec import read_saved, split_state
from .lm import LMConfig, MaskedDiffusionLM
from .spliced import ImageBlock, accept_cell_numbers, image_block
from .vision import VisionConfig, VisionTower
from .vocab import Vocab


def save_lm(model: MaskedDiffusionLM, config: LMConfig, composition: Optional[torch.Tensor], layout: str, path: str):
    """Plain LLaDA-style weights: with factored embeddings the composition is materialised and the
    LM head untied (tie_word_embeddings False)."""
    if composition is None:
        cfg, state = config.to_dict(), model.state_dict()
    else:
        cfg = {**config.to_dict(), "tie_word_embeddings": False}
        state = materialised_state(model, composition)
    state, whole_words = split_state(state, getattr(model, "word_mode", "add"))
    positions = None if composition is None else trained_cell_positions(model)
    _write_lm(cfg, state, layout, path, whole_words=whole_words, cell_positions=positions)


def save_loaded_lm(model: MaskedDiffusionLM, layout: str, path: str) -> None:
    """A loaded LM (load_lm: materialised already) in save_lm's format, its whole-word rows and cell
    positions kept."""
    extra = {k: getattr(model, k, None) for k in ("whole_words", "cell_positions")}
    _write_lm(model.config.to_dict(), model.state_dict(), layout, path, **extra)


def _write_lm(config: dict, state: dict, layout: str, path: str, **extra: Optional[torch.Tensor]) -> None:
    """lm.pt: {config, state, layout}, and where given the whole-word tokens' input rows (whole_words)
    and the cell-position embeddings trained (cell_positions: factored.trained_cell_positions)."""
    kept = {k: v for k, v in extra.items() if v is not None}
    torch.save({"config": config, "state": state, "layout": layout, **kept}, path)


def load_lm(path: str) -> Tuple[MaskedDiffusionLM, str]:
    """A checkpoint written by save_lm -> (frozen model in eval mode, layout)."""
    ckpt = torch.load(path, map_location="cpu")
    model = MaskedDiffusionLM(LMConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["state"])
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    if "whole_words" in ckpt:  # whole-word tokens' input rows (word vectors, wordvec.py)
        read_saved(model, ckpt["whole_words"])
    if "cell_positions" in ckpt:  # the positions trained (spliced.cell_position_embeddings; older files: none)
        model.cell_positions = ckpt["cell_positions"]
    return model, ckpt.get("layout", "pair")


def check_saved_lm(model: MaskedDiffusionLM, vocab: Vocab, layout: str, path: str) -> None:
    """Loads the lm.pt just written and checks that it embeds every token id as the live model does,
    scene tokens given cell numbers too (layout compound_pos): a save that loses or moves trained
    input rows fails here, at the end of the text stage, not as a collapse in a later stage's
    evaluation (it once did: the cell positions of word vectors in mode replace)."""
    loaded, _ = load_lm(path)
    ids = torch.arange(len(vocab)).unsqueeze(0)
    with torch.no_grad():
        pairs = [(model.embed(ids), loaded.embed(ids))]
        if layout == "compound_pos" and getattr(model, "cell_position_matrix", None) is not None:
            accept_cell_numbers(loaded, vocab)
            cells = torch.arange(len(vocab)).remainder(10).unsqueeze(0) * (ids < vocab.n_output)
            pairs.append((model.embed(ids, cells), loaded.embed(ids, cells)))
    for live, saved in pairs:
        worst, scale = (live - saved).abs().max().item(), live.abs().max().item()
        if worst > 1e-4 * max(scale, 1.0):
            raise RuntimeError(f"{path}: the saved LM embeds tokens differently from the trained one (by {worst:.3g})")


def save_checked_lm(
    model: MaskedDiffusionLM,
    config: LMConfig,
    composition: Optional[torch.Tensor],
    vocab: Vocab,
    layout: str,
    path: str,
) -> None:
    """save_lm, then check_saved_lm on the file just written: how the text stage saves every lm.pt."""
    save_lm(model, config, composition, layout, path)
    check_saved_lm(model, vocab, layout, path)


def lm_vocab(lm_path: str) -> Vocab:
    """The vocabulary beside an lm.pt."""
    return Vocab.load(os.path.join(os.path.dirname(lm_path), "vocab.json"))


def start_stage(lm_path: str, out: Optional[str], seed: int) -> Tuple[MaskedDiffusionLM, str, Vocab]:
    """What every multimodal stage does first: one thread, oneDNN off (Debian's torch 1.13 returns
    garbage weight gradients, 1e16 then NaN, for the strided conv1d backward on this CPU; the
    native kernels are correct), the seed, the output folder, and the frozen LM with its vocab
    (taking cell numbers in `embed` for layout compound_pos)."""
    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False
    torch.manual_seed(seed)
    if out:
        os.makedirs(out, exist_ok=True)
    model, layout = load_lm(lm_path)
    vocab = lm_vocab(lm_path)
    if layout == "compound_pos":
        accept_cell_numbers(model, vocab)
    return model, layout, vocab


def save_tower(tower, path: str, **extra) -> None:
    torch.save({"config": tower.config.to_dict(), "state": tower.state_dict(), **extra}, path)


def load_vision_block(path: str, model: MaskedDiffusionLM, vocab: Vocab, layout: str) -> ImageBlock:
    """vision.pt -> the frozen image block for the LM's layout (eval mode)."""
    ckpt = torch.load(path, map_location="cpu")
    tower = VisionTower(VisionConfig(**ckpt["config"]))
    tower.load_state_dict(ckpt["state"])
    block = image_block(tower, model, vocab, layout).eval()
    for p in block.parameters():
        p.requires_grad_(False)
    return block


def load_audio_tower(path: str) -> AudioTower:
    """audio.pt -> the audio tower (encoder and dual adapter), trainable, in training mode."""
    ckpt = torch.load(path, map_location="cpu")
    tower = AudioTower(AudioConfig(**ckpt["config"]))
    tower.load_state_dict(ckpt["state"])
    return tower
