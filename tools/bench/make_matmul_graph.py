"""Writes tools/bench/fixtures/matmul.onnx: one MatMul of two float32 inputs `a` [m, k] and
`b` [k, n] with dynamic sizes, output `c` [m, n]. The benchmark feeds it square matrices to
measure the achievable matrix-multiply rate of this machine through onnxruntime (the floor).

Run from the repository root:  OMP_NUM_THREADS=1 /usr/bin/python3 tools/bench/make_matmul_graph.py
"""
import os

import torch


class MatMul(torch.nn.Module):
    def forward(self, a, b):
        return torch.matmul(a, b)


def main() -> None:
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "matmul.onnx")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    torch.onnx.export(
        MatMul(),
        (torch.zeros(4, 4), torch.zeros(4, 4)),
        out,
        input_names=["a", "b"],
        output_names=["c"],
        dynamic_axes={"a": {0: "m", 1: "k"}, "b": {0: "k", 1: "n"}, "c": {0: "m", 1: "n"}},
        opset_version=17,
    )
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
