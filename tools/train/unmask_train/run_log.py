"""The trainers' progress log: each line printed (flushed, so the build script's filters see it at
once) and appended to `log.txt` in the run's output folder."""
from __future__ import annotations

import os
from typing import Callable


def run_log(out: str) -> Callable[[str], None]:
    log = open(os.path.join(out, "log.txt"), "a")

    def say(msg: str) -> None:
        print(msg, flush=True)
        log.write(msg + "\n")
        log.flush()

    return say
