"""Writes the pytorch_model.bin fixtures with Debian's torch (python3-torch 1.13, zip serialization):

- Fixtures/transformers/bert-bin/: the tiny BERT of Fixtures/transformers/bert (config.json and the same tensors,
  read from its model.safetensors) saved with torch.save, as transformers' save_pretrained(safe_serialization=False) does;
- Fixtures/transformers/pickle_dtypes.bin + pickle_dtypes.json: tensors of several dtypes and two names for one
  tensor (tied weights, as in language-model heads), with their values as torch reads them back. Strided views
  (a transposed tensor, a row at an offset) are left out: TorchSharp.PyBridge 1.4.4 cannot read them, and
  checkpoints saved by transformers hold none.

Run from the repository root: /usr/bin/python3 tools/make_pickle_fixtures.py
"""
import json
import os
import shutil

import numpy as np
import torch

FIXTURES = os.path.join("tests", "Sentio.Tests", "Fixtures", "transformers")


def read_safetensors(path):
    # The format is an 8-byte header length, a JSON header and raw little-endian data (python3-safetensors is not in Debian 12).
    with open(path, "rb") as f:
        length = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(length))
        data = f.read()
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def bert_bin():
    source = os.path.join(FIXTURES, "bert")
    target = os.path.join(FIXTURES, "bert-bin")
    os.makedirs(target, exist_ok=True)
    shutil.copyfile(os.path.join(source, "config.json"), os.path.join(target, "config.json"))
    torch.save(read_safetensors(os.path.join(source, "model.safetensors")), os.path.join(target, "pytorch_model.bin"))


def dtypes():
    f32 = torch.tensor([[0.1, -2.5, 3.75], [1e-8, 65504.0, -0.0]], dtype=torch.float32)
    state = {
        "f32": f32,
        "tied": f32,
        "f16": torch.tensor([0.5, -1.25, 3.0, 0.1], dtype=torch.float16),
        "bf16": torch.tensor([0.5, -1.25, 3.0, 0.1], dtype=torch.bfloat16),
        "f64": torch.tensor([1.0 / 3.0, -2.0], dtype=torch.float64),
        "i64": torch.tensor([1, -2, 3_000_000_000], dtype=torch.int64),
        "scalar": torch.tensor(7.5),
    }
    torch.save(state, os.path.join(FIXTURES, "pickle_dtypes.bin"))
    expected = {
        name: {"shape": list(t.shape), "values": t.to(torch.float64 if t.is_floating_point() else torch.int64).reshape(-1).tolist()}
        for name, t in torch.load(os.path.join(FIXTURES, "pickle_dtypes.bin")).items()
    }
    with open(os.path.join(FIXTURES, "pickle_dtypes.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    bert_bin()
    dtypes()
