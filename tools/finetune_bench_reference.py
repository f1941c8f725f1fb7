#!/usr/bin/python3
"""PyTorch peer of `dotnet run -c Release --project bench/Sentio.Bench -- finetune`.

A plain PyTorch fine-tuning loop over the same all-MiniLM-L6-v2 weights (model.safetensors of a Hugging Face folder)
and the same GoEmotions token ids (written by the bench), as a notebook would write it: batches drawn in random
order, each padded either to a fixed length (128, as the seeds do) or to its longest text (dynamic padding); BERT
(transformer_bench_reference.py's module, which follows modeling_bert.py) + a 28-label head, BCE with logits,
backward, clipping to norm 1, AdamW. It prints one JSON line: real (non-padding) tokens/s and padded tokens/s per mode.

Run: /usr/bin/python3 tools/finetune_bench_reference.py IDS.json MODEL_FOLDER --threads 2 --batch 32 --steps 20
(needs Debian's python3-torch; apt-get install -y libopenblas0-pthread, or torch uses the reference BLAS).
"""
import argparse
import json
import os
import random
import struct
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from transformer_bench_reference import BertClassifier, loaded_blas  # noqa: E402

DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[start:end]), dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def module_name(hf_name):
    """modeling_bert.py's state-dict name → transformer_bench_reference's (None: not a parameter of it)."""
    name = hf_name[len("bert."):] if hf_name.startswith("bert.") else hf_name
    fixed = {"embeddings.word_embeddings": "word_embeddings", "embeddings.position_embeddings": "position_embeddings",
             "embeddings.token_type_embeddings": "token_type_embeddings", "embeddings.LayerNorm": "embedding_norm",
             "pooler.dense": "pooler"}
    for prefix, target in fixed.items():
        if name.startswith(prefix + "."):
            return target + name[len(prefix):]
    if name.startswith("encoder.layer."):
        index, rest = name[len("encoder.layer."):].split(".", 1)
        parts = {"attention.self.query": "query", "attention.self.key": "key", "attention.self.value": "value",
                 "attention.output.dense": "attention_output", "attention.output.LayerNorm": "attention_norm",
                 "intermediate.dense": "intermediate", "output.dense": "output", "output.LayerNorm": "output_norm"}
        for prefix, target in parts.items():
            if rest.startswith(prefix + "."):
                return f"layers.{index}.{target}{rest[len(prefix):]}"
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ids")
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup-steps", type=int, default=2)
    parser.add_argument("--padded-length", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.ids) as f:
        encoded = json.load(f)
    texts, targets = encoded["ids"], torch.tensor(encoded["targets"], dtype=torch.float32)
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)

    results = {}
    for mode in ("padded", "dynamic"):
        torch.manual_seed(13)
        model = BertClassifier(config["vocab_size"], config["hidden_size"], config["num_hidden_layers"],
                               config["num_attention_heads"], config["intermediate_size"], targets.shape[1],
                               positions=config["max_position_embeddings"])
        state = {module_name(k): v for k, v in read_safetensors(os.path.join(args.model, "model.safetensors")).items()}
        missing, _ = model.load_state_dict({k: v for k, v in state.items() if k is not None}, strict=False)
        assert set(missing) <= {"classifier.weight", "classifier.bias"}, missing
        optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        order = list(range(len(texts)))
        random.Random(13).shuffle(order)
        batches = [order[i:i + args.batch] for i in range(0, args.batch * (args.warmup_steps + args.steps), args.batch)]
        model.train()
        real = padded = 0
        start = None
        for step, batch in enumerate(batches):
            if step == args.warmup_steps:
                start, real, padded = time.perf_counter(), 0, 0
            width = args.padded_length if mode == "padded" else max(len(texts[i]) for i in batch)
            ids = torch.zeros(len(batch), width, dtype=torch.long)
            mask = torch.zeros(len(batch), width, dtype=torch.long)
            for row, i in enumerate(batch):
                ids[row, :len(texts[i])] = torch.tensor(texts[i])
                mask[row, :len(texts[i])] = 1
            real += int(mask.sum())
            padded += ids.numel()
            loss = loss_fn(model(ids, mask, torch.zeros_like(ids)), targets[batch])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
        seconds = time.perf_counter() - start
        results[mode] = {"real_tokens_per_s": real / seconds, "padded_tokens_per_s": padded / seconds,
                         "padding_efficiency": real / padded}
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas_loaded": loaded_blas(), **results}))


if __name__ == "__main__":
    main()
