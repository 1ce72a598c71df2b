"""The one training-step loop every stage runs.

Each step: the stage's `step(step)` returns the loss to minimise and the figures to log; the loop
clears the gradients, back-propagates, clips the gradient norm of `params` to 1, steps the optimiser
and the schedule. Every `log_every` steps it logs the figures' means since the last log
(`step N name value ... Ns`); at every `eval_every`-th step, at the last step and when `minutes`
ran out it calls `evaluate(step)` (which typically logs an `eval …` line and saves the checkpoint).
With a `resume` (resume.Resume) it writes a resume point every `--checkpoint-every` steps and, when
one is there at the start, goes on from it.
"""
from __future__ import annotations

import time
from typing import Callable, Dict, Iterable, Optional, Tuple

import torch

from .resume import Resume

Figures = Dict[str, float]


class StepLoop:
    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        opt: torch.optim.Optimizer,
        sched,
        say: Callable[[str], None],
        *,
        steps: int,
        eval_every: int,
        minutes: float = 0,
        log_every: int = 50,
        formats: Optional[Dict[str, str]] = None,
        log_extra: Optional[Callable[[], str]] = None,
        resume: Optional[Resume] = None,
    ):
        """`formats`: a figure's label and format in the log line (default `name value:.3f`);
        `log_extra()`: text appended to each log line before the time (e.g. the learning rate)."""
        self.params = list(params)
        self.opt, self.sched, self.say = opt, sched, say
        self.steps, self.eval_every, self.minutes, self.log_every = steps, eval_every, minutes, log_every
        self.formats = formats or {}
        self.log_extra = log_extra
        self.resume = resume
        self.t0 = time.time()

    def elapsed(self) -> float:
        return time.time() - self.t0

    def _line(self, step: int, means: Figures) -> str:
        parts = [f"step {step}"]
        for name, value in means.items():
            parts.append(self.formats.get(name, f"{name} {{:.3f}}").format(value))
        if self.log_extra:
            parts.append(self.log_extra())
        parts.append(f"{self.elapsed():.0f}s")
        return " ".join(parts)

    def run(
        self,
        step_fn: Callable[[int], Tuple[torch.Tensor, Figures]],
        evaluate: Callable[[int], None],
        before_step: Optional[Callable[[int, float], None]] = None,
    ) -> int:
        """Runs the steps (from the resume point when there is one); returns the last step taken."""
        sums: Figures = {}
        n, step, first, before = 0, 0, 1, 0.0
        if self.resume:
            self.resume.add(optimizer=self.opt, **({"schedule": self.sched} if self.sched is not None else {}))
            got = self.resume.load()
            if got:
                step, first = got["step"], got["step"] + 1
                before, sums, n = got["loop"]["elapsed"], got["loop"]["sums"], got["loop"]["n"]
                self.say(f"resumed from step {step} ({self.resume.path}, {before:.0f}s trained before)")
        self.t0 = time.time() - before
        for step in range(first, self.steps + 1):
            if before_step:
                before_step(step, self.elapsed())
            loss, figures = step_fn(step)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.params, 1.0)
            self.opt.step()
            if self.sched is not None:
                self.sched.step()
            for k, v in figures.items():
                sums[k] = sums.get(k, 0.0) + v
            n += 1
            if step % self.log_every == 0:
                self.say(self._line(step, {k: v / n for k, v in sums.items()}))
                sums, n = {k: 0.0 for k in sums}, 0
            stop = bool(self.minutes) and self.elapsed() > self.minutes * 60
            if step % self.eval_every == 0 or step == self.steps or stop:
                evaluate(step)
            if stop:
                break
            if self.resume and self.resume.due(step, self.steps):
                self.resume.save(step, {"elapsed": self.elapsed(), "sums": sums, "n": n})
        if self.resume:
            self.resume.finish()
        return step
