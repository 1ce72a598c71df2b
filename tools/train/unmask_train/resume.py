"""Resumable runs. Every `--checkpoint-every` steps the step loop writes `resume.pt` into the run's
output folder: the trained modules, the optimiser and its schedule, every random stream the stage
draws from, the stage's records (evaluation history, tail averages) and the loop's own counters. A
run started again with the same arguments and inputs (a build whose session ended mid-stage) goes on
from the last such step and ends with the weights an uninterrupted run ends with; the file is
removed when the run completes.

Arguments that do not change the result (--out, --minutes, --threads, --checkpoint-every) may differ
between the two starts; any other argument, or the content of an input file or folder an argument
names, must not: the run stops with a message naming what differs instead of mixing two runs.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
from typing import Any, Dict, Optional

import torch

FILE = "resume.pt"
# Arguments that do not change the weights a run ends with.
FREE_ARGS = ("out", "minutes", "threads", "checkpoint_every")


def _digest(path: str) -> str:
    """sha256 of a file's bytes, or of a folder's listing (names and sizes, not recursive)."""
    h = hashlib.sha256()
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            h.update(f"{name}\0{os.path.getsize(os.path.join(path, name))}\0".encode())
    else:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def fingerprint(args: Dict[str, Any]) -> Dict[str, Any]:
    """The arguments that shape the run, with each named input file or folder's digest beside it."""
    out: Dict[str, Any] = {}
    for key, value in sorted(args.items()):
        if key in FREE_ARGS:
            continue
        out[key] = value
        if isinstance(value, str) and value and os.path.exists(value):
            out[f"{key} (content)"] = _digest(value)
    return out


def _get(part: Any) -> Any:
    if isinstance(part, random.Random):
        return part.getstate()
    if isinstance(part, torch.Generator):
        return part.get_state()
    if isinstance(part, list):
        return list(part)
    if isinstance(part, torch.Tensor):
        return part.detach().clone()
    return part.state_dict()


def _set(part: Any, state: Any) -> None:
    if isinstance(part, random.Random):
        part.setstate(state)
    elif isinstance(part, torch.Generator):
        part.set_state(state)
    elif isinstance(part, list):
        part[:] = state
    elif isinstance(part, torch.Tensor):
        with torch.no_grad():
            part.copy_(state)
    else:
        part.load_state_dict(state)


class Resume:
    def __init__(self, args: argparse.Namespace, **parts: Any):
        """For a stage run with `args` (cli.run_args: --out, --checkpoint-every). `parts` (or add()
        later): what the stage's steps change besides the optimiser and schedule (the loop adds
        those): modules, optimiser-like objects and records with state_dict() and
        load_state_dict(), random.Random and torch.Generator streams, bare tensors and lists (both
        restored in place). A resume point written with other arguments or inputs is refused here,
        before the stage's data work."""
        out, every = args.out, args.checkpoint_every
        if every < 0:
            raise SystemExit(f"--checkpoint-every: {every} is negative (0 writes no resume point)")
        self.path = os.path.join(out, FILE)
        self.every = every
        self.print = fingerprint(vars(args))
        self.parts: Dict[str, Any] = parts
        self.state: Optional[Dict[str, Any]] = None
        if os.path.exists(self.path):
            self.state = torch.load(self.path, map_location="cpu")
            theirs = self.state["fingerprint"]
            differ = sorted(k for k in set(theirs) | set(self.print) if theirs.get(k) != self.print.get(k))
            if differ:
                raise SystemExit(
                    f"{self.path} was written by a run with other arguments or inputs ({', '.join(differ)}); "
                    "start it with the same ones to go on, or delete the file to start over"
                )

    def add(self, **parts: Any) -> None:
        self.parts.update(parts)

    def due(self, step: int, last: int) -> bool:
        return self.every > 0 and step % self.every == 0 and step < last

    def save(self, step: int, loop: Dict[str, Any]) -> None:
        """Written beside and then renamed over the last one, so a kill mid-write leaves the old one."""
        state = {
            "step": step,
            "fingerprint": self.print,
            "loop": loop,
            "torch_rng": torch.get_rng_state(),
            "parts": {name: _get(part) for name, part in self.parts.items()},
        }
        tmp = self.path + ".part"
        torch.save(state, tmp)
        os.replace(tmp, self.path)

    def load(self) -> Optional[Dict[str, Any]]:
        """Restores every part from the resume point and returns {step, loop}, or None without one."""
        state = self.state
        if state is None:
            return None
        missing = sorted(set(self.parts) - set(state["parts"]))
        if missing:
            raise SystemExit(f"{self.path} lacks {', '.join(missing)}; delete it to start over")
        for name, part in self.parts.items():
            _set(part, state["parts"][name])
        torch.set_rng_state(state["torch_rng"])
        return {"step": state["step"], "loop": state["loop"]}

    def finish(self) -> None:
        if os.path.exists(self.path):
            os.remove(self.path)
