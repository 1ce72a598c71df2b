"""Copies the parts of ../shared/fixtures/hf that the tower parity specs need, kept small.

Run from the repository root: /usr/bin/python3 libs/convert/test-fixtures/towers/make-tower-fixtures.py
Tensors are copied byte for byte (float32 / int64); only row subsets and tensor subsets are taken.
"""
import gzip
import json
import os
import shutil
import struct
import sys
import numpy as np

SRC = sys.argv[1] if len(sys.argv) > 1 else "../shared/fixtures/hf"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)))
DT = {"F32": np.float32, "I64": np.int64}
NAME = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}


def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for key, v in header.items():
        if key == "__metadata__":
            continue
        s, e = v["data_offsets"]
        out[key] = np.frombuffer(raw[8 + n + s : 8 + n + e], dtype=DT[v["dtype"]]).reshape(v["shape"])
    return out


def save(path, tensors, compress=False):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for key, arr in tensors.items():
        b = np.ascontiguousarray(arr).tobytes()
        header[key] = {"dtype": NAME[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    data = struct.pack("<Q", len(h)) + h + b"".join(blobs)
    if compress:
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(data)
    else:
        open(path, "wb").write(data)


# Whisper: the encoder tensors (+ one decoder tensor, to show other prefixes are left alone),
# the 80-bin features, and the hidden states at a subset of rows (the 85 positions that see
# audio, then every 20th).
w = load(f"{SRC}/whisper/model/model.safetensors")
os.makedirs(f"{OUT}/whisper/checkpoint", exist_ok=True)
keep = {k: v for k, v in w.items() if k.startswith("model.encoder.") or k == "model.decoder.layer_norm.weight"}
save(f"{OUT}/whisper/checkpoint/model.safetensors", keep)
shutil.copy(f"{SRC}/whisper/model/config.json", f"{OUT}/whisper/checkpoint/config.json")
r = load(f"{SRC}/whisper/reference.safetensors")
rows = np.array([i for i in range(1500) if i < 96 or i % 20 == 0], dtype=np.int64)
ref = {"input_features": r["input_features_80"], "rows": rows}
for k in ["hidden_states.0", "hidden_states.1", "hidden_states.2", "hidden_states.3", "last_hidden_state"]:
    ref[k] = np.ascontiguousarray(r[k][rows])
save(f"{OUT}/whisper/reference.safetensors.gz", ref, compress=True)
os.makedirs(f"{OUT}/whisper/feature_extractor_80", exist_ok=True)
shutil.copy(f"{SRC}/whisper/input.wav", f"{OUT}/whisper/input.wav")
shutil.copy(f"{SRC}/whisper/feature_extractor_80/preprocessor_config.json", f"{OUT}/whisper/feature_extractor_80/")

# SigLIP: the whole tiny model (with its pooling head, which the tower does not use) and the
# reference as is.
os.makedirs(f"{OUT}/siglip/checkpoint", exist_ok=True)
for f in ["config.json", "model.safetensors"]:
    shutil.copy(f"{SRC}/siglip/model/{f}", f"{OUT}/siglip/checkpoint/{f}")
shutil.copy(f"{SRC}/siglip/reference.safetensors", f"{OUT}/siglip/reference.safetensors")
os.makedirs(f"{OUT}/siglip/processor", exist_ok=True)
shutil.copy(f"{SRC}/siglip/input.png", f"{OUT}/siglip/input.png")
shutil.copy(f"{SRC}/siglip/processor/preprocessor_config.json", f"{OUT}/siglip/processor/")

# Qwen2.5-VL vision: the tower and images 0 (10x14 patches: windows padded at the edge) and 2
# (22x2 patches: one window column); image 1 (34x46 patches, 7 MB of pixel values) is left out.
os.makedirs(f"{OUT}/qwen25vl-vision/checkpoint", exist_ok=True)
shutil.copy(f"{SRC}/qwen25vl_vision/vision_model.safetensors", f"{OUT}/qwen25vl-vision/checkpoint/model.safetensors")
shutil.copy(f"{SRC}/qwen25vl_vision/vision_config.json", f"{OUT}/qwen25vl-vision/checkpoint/config.json")
q = load(f"{SRC}/qwen25vl_vision/reference.safetensors")
os.makedirs(f"{OUT}/qwen25vl-vision/processor", exist_ok=True)
shutil.copy(f"{SRC}/qwen25vl_vision/input0.png", f"{OUT}/qwen25vl-vision/input0.png")
shutil.copy(f"{SRC}/qwen25vl_vision/processor/preprocessor_config.json", f"{OUT}/qwen25vl-vision/processor/")
save(
    f"{OUT}/qwen25vl-vision/reference.safetensors.gz",
    {f"{p}.{i}": q[f"{p}.{i}"] for i in (0, 2) for p in ("pixel_values", "image_grid_thw", "vision_output")},
    compress=True,
)
