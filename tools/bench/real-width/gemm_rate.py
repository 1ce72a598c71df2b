"""Matrix-multiply rates of the Python libraries on this machine, for the real-width benchmark's
floor: float32 GEMM through numpy (Debian's, linked to the system BLAS: OpenBLAS here) and
through torch (torch.mm), and int8 through torch's fbgemm dynamic-quantised Linear. Each shape
runs for about `seconds` after a warm-up; prints one JSON object.

  OMP_NUM_THREADS=N OPENBLAS_NUM_THREADS=N /usr/bin/python3 tools/bench/real-width/gemm_rate.py N SECONDS M,K,N ...
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch


def rate(run, flops: float, seconds: float) -> float:
    run()
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or runs < 2:
        run()
        runs += 1
    return flops * runs / (time.perf_counter() - started)


def blas_library() -> str:
    try:
        config = np.__config__.blas_opt_info  # numpy < 1.26
        return ",".join(config.get("libraries", [])) or "unknown"
    except AttributeError:
        return "unknown"


def main() -> None:
    threads, seconds = int(sys.argv[1]), float(sys.argv[2])
    torch.set_num_threads(threads)
    shapes = [tuple(int(x) for x in s.split(",")) for s in sys.argv[3:]]
    out = {"numpy": np.__version__, "torch": torch.__version__, "blas": blas_library(), "rates": []}
    rng = np.random.default_rng(0)
    for m, k, n in shapes:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        flops = 2.0 * m * k * n
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        linear = torch.nn.Linear(k, n, bias=False)
        with torch.no_grad():
            linear.weight.copy_(tb.t())
        q = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(linear), {torch.nn.Linear}, dtype=torch.qint8)
        with torch.no_grad():
            out["rates"].append(
                {
                    "shape": [m, k, n],
                    "numpy_fp32": rate(lambda: a @ b, flops, seconds),
                    "torch_fp32": rate(lambda: torch.mm(ta, tb), flops, seconds),
                    "torch_int8": rate(lambda: q(ta), flops, seconds),
                }
            )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
