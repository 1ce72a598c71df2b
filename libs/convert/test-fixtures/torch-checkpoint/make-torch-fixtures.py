"""Writes the tiny PyTorch checkpoints (torch.save zip archives) the converter's .bin reader is
specified against, and the same tensors as safetensors. Run with Debian's torch 1.13:
    OMP_NUM_THREADS=1 /usr/bin/python3 make-torch-fixtures.py
Files (all in this folder):
  tensors.bin            fp32, fp16, bf16, fp64 and int64 tensors, a 0-d scalar, two views of one shared
                         storage at offsets 2 and 6, a [3, 1] view with an odd stride on its size-1
                         dimension, in an OrderedDict carrying `_metadata` (as state_dict() does)
  tensors.safetensors    the same tensors, contiguous, written by hand in the safetensors layout
  zip64.bin              tensors.bin's entries re-packed by Python's zipfile with every entry in zip64
                         form (extra fields and end records), as torch writes shards over 4 GiB
  deflated.bin           tensors.bin's entries compressed (torch never writes this): refused
  noncontiguous.bin      a transposed tensor: refused, naming it
  legacy.bin             the pre-1.6 format (_use_new_zipfile_serialization=False): refused
  malicious.bin          a pickle calling os.system (never run by the reader): refused, naming it
  sharded/               pytorch_model-0000{1,2}-of-00002.bin and pytorch_model.bin.index.json
"""
import collections
import json
import os
import struct
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def state_dict():
    base = torch.arange(12, dtype=torch.float32) * 0.25 - 1
    wide = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd = collections.OrderedDict()
    sd["layer.weight"] = torch.tensor([[0.5, -1.25, 3.0], [1e-3, -7.5, 2.0]], dtype=torch.float32)
    sd["layer.half"] = torch.tensor([1.5, -2.0, 6.1e-5, 65504.0, 0.1], dtype=torch.float16)
    sd["layer.bf16"] = torch.tensor([[1.0, -2.5], [0.15625, 3.0e38]], dtype=torch.bfloat16)
    sd["layer.double"] = torch.tensor([0.1, -0.2], dtype=torch.float64)
    sd["layer.count"] = torch.tensor([3, -4, 2**40], dtype=torch.int64)
    sd["scalar"] = torch.tensor(2.5)
    sd["shared.first"] = base[2:6]
    sd["shared.second"] = base[6:12].view(2, 3)
    sd["column"] = wide[:, 1:2].clone().as_strided((3, 1), (1, 7))
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("layer", {"version": 2})])
    return sd


ST_DTYPES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {
            "dtype": ST_DTYPES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def repack(src, dst, compression):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=compression) as zout:
        for info in zin.infolist():
            entry = zipfile.ZipInfo(info.filename)
            entry.compress_type = compression
            with zout.open(entry, "w", force_zip64=True) as out:
                out.write(zin.read(info.filename))


def saturate_end_record(path):
    """Python keeps the classic end record's fields when they fit; a writer of a > 4 GiB archive
    saturates them (0xFFFF, 0xFFFFFFFF) and leaves the values to the zip64 end record."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        at = data.rindex(b"PK\x05\x06")
        struct.pack_into("<HHII", data, at + 8, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        f.seek(0)
        f.write(data)


class Shell:
    def __reduce__(self):
        return (os.system, ("echo unmask test fixture: this must never run",))


def main():
    torch.manual_seed(0)
    sd = state_dict()
    torch.save(sd, os.path.join(HERE, "tensors.bin"))
    write_safetensors(os.path.join(HERE, "tensors.safetensors"), sd)

    limit, files = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 0, 0  # every size, offset and count in zip64 form
    try:
        repack(os.path.join(HERE, "tensors.bin"), os.path.join(HERE, "zip64.bin"), zipfile.ZIP_STORED)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = limit, files
    saturate_end_record(os.path.join(HERE, "zip64.bin"))
    repack(os.path.join(HERE, "tensors.bin"), os.path.join(HERE, "deflated.bin"), zipfile.ZIP_DEFLATED)

    torch.save(
        {"ok": torch.ones(2), "transposed": torch.arange(6.0).reshape(2, 3).t()},
        os.path.join(HERE, "noncontiguous.bin"),
    )
    torch.save({"w": torch.ones(2)}, os.path.join(HERE, "legacy.bin"), _use_new_zipfile_serialization=False)
    torch.save({"w": torch.ones(2), "payload": Shell()}, os.path.join(HERE, "malicious.bin"))

    shard_dir = os.path.join(HERE, "sharded")
    os.makedirs(shard_dir, exist_ok=True)
    names = list(sd.keys())
    shards = {"pytorch_model-00001-of-00002.bin": names[:4], "pytorch_model-00002-of-00002.bin": names[4:]}
    weight_map = {}
    for file, keys in shards.items():
        torch.save(collections.OrderedDict((k, sd[k]) for k in keys), os.path.join(shard_dir, file))
        weight_map.update({k: file for k in keys})
    with open(os.path.join(shard_dir, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)

    # What torch itself reads back from the re-packed zip64 archive.
    again = torch.load(os.path.join(HERE, "zip64.bin"))
    assert all(torch.equal(again[k], sd[k]) for k in sd), "zip64.bin reads back differently"


if __name__ == "__main__":
    main()
