#!/usr/bin/python3
"""PyTorch peer of `dotnet run -c Release --project bench/Sentio.Bench -- onnx`.

Loads a Hugging Face BertForSequenceClassification folder (config.json + model.safetensors, as Sentio reads it) into
the plain-torch modules of make_transformer_fixtures.py (after modeling_bert.py), and times, in eval mode under no_grad,
the forward + sigmoid over the batches of token ids the bench wrote (each batch right-padded to its longest, as the
other backends run them), then batch-1 latency over its single texts. Prints one JSON line.

Debian's torch links libblas.so.3; install OpenBLAS first (apt-get install -y libopenblas0-pthread) or it runs the
reference BLAS.
Run: /usr/bin/python3 tools/onnx_bench_reference.py --model DIR --ids IDS.json --threads 2
"""
import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_transformer_fixtures as fixtures  # noqa: E402
from make_pickle_fixtures import read_safetensors  # noqa: E402
from transformer_bench_reference import loaded_blas  # noqa: E402


def padded(rows, pad_id):
    length = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad_id] * (length - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (length - len(r)) for r in rows])
    return ids, mask, torch.zeros_like(ids)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--ids", required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    model = fixtures.BertForSequenceClassification(config)
    model.load_state_dict(read_safetensors(os.path.join(args.model, "model.safetensors")), strict=True)
    model.eval()
    with open(args.ids) as f:
        ids = json.load(f)
    batches = [padded(b, config["pad_token_id"]) for b in ids["batches"]]
    singles = [padded([s], config["pad_token_id"]) for s in ids["single"]]
    with torch.no_grad():
        torch.sigmoid(model(*batches[0])[2])  # warm-up
        start = time.perf_counter()
        for b in batches:
            torch.sigmoid(model(*b)[2])
        seconds = time.perf_counter() - start
        latencies = []
        for s in singles:
            t = time.perf_counter()
            torch.sigmoid(model(*s)[2])
            latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()

    def percentile(p):  # nearest rank, as the bench computes it
        return latencies[min(len(latencies) - 1, math.ceil(p * len(latencies)) - 1)]

    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas_loaded": loaded_blas(),
                      "sentences_per_s": sum(len(b) for b in ids["batches"]) / seconds,
                      "p50_ms": percentile(0.50), "p99_ms": percentile(0.99)}))


if __name__ == "__main__":
    main()
