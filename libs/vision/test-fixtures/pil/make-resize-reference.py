#!/usr/bin/python3
# Pillow's own Image.resize outputs (uint8 RGB) for libs/vision's 'pillow' resize arithmetic test.
# Made with Debian's python3-pil 9.4.0, numpy and python3-torch 1.13 (OMP_NUM_THREADS=1). Run from the repository root:
#   /usr/bin/python3 libs/vision/test-fixtures/pil/make-resize-reference.py
import gzip
import json
import struct
import numpy as np
from PIL import Image

root = "libs/vision/test-fixtures/"
cases = [
    # name, source, (width, height), PIL filter
    ("bicubic_64x64", "hf/siglip/input.png", (64, 64), Image.BICUBIC),
    ("bilinear_50x37", "hf/siglip/input.png", (50, 37), Image.BILINEAR),
    ("lanczos_61x45", "hf/siglip/input.png", (61, 45), Image.LANCZOS),
    ("box_33x20", "hf/siglip/input.png", (33, 20), Image.BOX),
    ("hamming_70x90", "hf/siglip/input.png", (70, 90), Image.HAMMING),
    ("nearest_47x31", "hf/siglip/input.png", (47, 31), Image.NEAREST),
    ("nearest_up_90x333", "hf/qwen2vl/input2.png", (90, 333), Image.NEAREST),
    ("bilinear_up_41x97", "hf/qwen2vl/input2.png", (41, 97), Image.BILINEAR),
    ("bicubic_up_28x308", "hf/qwen2vl/input2.png", (28, 308), Image.BICUBIC),
    ("bicubic_up_300x250", "hf/siglip/input.png", (300, 250), Image.BICUBIC),
]
header, blobs, offset = {"__metadata__": {"pillow": Image.__version__}}, [], 0
for name, src, size, f in cases:
    out = np.ascontiguousarray(np.asarray(Image.open(root + src).convert("RGB").resize(size, f), dtype=np.uint8))
    b = out.tobytes()
    header[name] = {"dtype": "U8", "shape": list(out.shape), "data_offsets": [offset, offset + len(b)]}
    header["__metadata__"][name] = src
    blobs.append(b)
    offset += len(b)
# torch's nearest-exact (what torchvision's NEAREST_EXACT runs), Debian's python3-torch 1.13.
import torch  # noqa: E402 (torch only for this last reference)

for name, src, (w, h) in [
    ("torch_nearest_exact_47x31", "hf/siglip/input.png", (47, 31)),
    ("torch_nearest_exact_up_90x333", "hf/qwen2vl/input2.png", (90, 333)),
]:
    t = torch.from_numpy(np.asarray(Image.open(root + src).convert("RGB")).transpose(2, 0, 1).copy())[None]
    out = torch.nn.functional.interpolate(t, size=(h, w), mode="nearest-exact")[0].permute(1, 2, 0).contiguous().numpy()
    b = out.tobytes()
    header[name] = {"dtype": "U8", "shape": list(out.shape), "data_offsets": [offset, offset + len(b)]}
    header["__metadata__"][name] = src
    blobs.append(b)
    offset += len(b)
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(root + "pil/resize-reference.safetensors.gz", "wb") as fh:
    fh.write(gzip.compress(struct.pack("<Q", len(h)) + h + b"".join(blobs), 9))
print("done")
