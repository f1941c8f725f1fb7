#!/usr/bin/python3
"""PyTorch peer of `dotnet run -c Release --project bench/Sentio.Bench -- transformer`.

What it measures: a BERT sequence classifier (after Hugging Face's modeling_bert.py, the same shape and the same
dropout placement as Sentio's BertForSequenceClassification; default the all-MiniLM-L6-v2 shape: 6 layers × 384
hidden, 12 heads, FFN 1536, vocab 30522, 28 labels) on random token ids of a fixed batch × seq:
  train-step tokens/s      forward + BCE-with-logits + backward + AdamW step, in train mode (dropout on)
  inference sentences/s    forward in eval mode under no_grad
It prints one JSON line: the figures, torch's version and build BLAS setting, and the BLAS library actually loaded
(Debian's torch links libblas.so.3, which resolves to the reference BLAS unless OpenBLAS is installed:
apt-get install -y libopenblas0-pthread).

Run: /usr/bin/python3 tools/transformer_bench_reference.py --threads 2 --batch 32 --seq 64 --train-steps 20 --inference-batches 20
(needs Debian's python3-torch).
"""
import argparse
import json
import math
import os
import re
import time

import torch


class Layer(torch.nn.Module):
    def __init__(self, hidden, heads, ffn, dropout):
        super().__init__()
        self.heads, self.head_size = heads, hidden // heads
        self.query, self.key, self.value = (torch.nn.Linear(hidden, hidden) for _ in range(3))
        self.attention_output = torch.nn.Linear(hidden, hidden)
        self.attention_norm = torch.nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = torch.nn.Linear(hidden, ffn)
        self.output = torch.nn.Linear(ffn, hidden)
        self.output_norm = torch.nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = torch.nn.Dropout(dropout)

    def split(self, x):
        return x.view(x.size(0), x.size(1), self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, hidden, mask):
        q, k, v = self.split(self.query(hidden)), self.split(self.key(hidden)), self.split(self.value(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + mask
        context = torch.matmul(self.dropout(torch.softmax(scores, dim=-1)), v).permute(0, 2, 1, 3).contiguous()
        context = context.view(context.size(0), context.size(1), -1)
        attended = self.attention_norm(self.dropout(self.attention_output(context)) + hidden)
        ffn = self.dropout(self.output(torch.nn.functional.gelu(self.intermediate(attended))))
        return self.output_norm(ffn + attended)


class BertClassifier(torch.nn.Module):
    def __init__(self, vocab, hidden, layers, heads, ffn, labels, positions=512, dropout=0.1):
        super().__init__()
        self.word_embeddings = torch.nn.Embedding(vocab, hidden, padding_idx=0)
        self.position_embeddings = torch.nn.Embedding(positions, hidden)
        self.token_type_embeddings = torch.nn.Embedding(2, hidden)
        self.embedding_norm = torch.nn.LayerNorm(hidden, eps=1e-12)
        self.layers = torch.nn.ModuleList([Layer(hidden, heads, ffn, dropout) for _ in range(layers)])
        self.pooler = torch.nn.Linear(hidden, hidden)
        self.classifier = torch.nn.Linear(hidden, labels)
        self.dropout = torch.nn.Dropout(dropout)

    def forward(self, input_ids, attention_mask, token_type_ids):
        positions = torch.arange(input_ids.size(1)).unsqueeze(0).expand_as(input_ids)
        hidden = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(positions)
        hidden = self.dropout(self.embedding_norm(hidden))
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            hidden = layer(hidden, mask)
        return self.classifier(self.dropout(torch.tanh(self.pooler(hidden[:, 0]))))


def loaded_blas():
    """The BLAS / LAPACK shared libraries mapped into this process, resolved through Debian's alternatives."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if re.search(r"lib(open)?blas|libmkl|liblapack", line)}
    return sorted({os.path.realpath(p) for p in paths})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=384)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--ffn", type=int, default=1536)
    parser.add_argument("--vocab", type=int, default=30522)
    parser.add_argument("--labels", type=int, default=28)
    parser.add_argument("--warmup-steps", type=int, default=3)
    parser.add_argument("--train-steps", type=int, default=20)
    parser.add_argument("--inference-batches", type=int, default=20)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(13)
    model = BertClassifier(args.vocab, args.hidden, args.layers, args.heads, args.ffn, args.labels)
    ids = torch.randint(5, args.vocab, (args.batch, args.seq))
    mask = torch.ones(args.batch, args.seq, dtype=torch.long)
    types = torch.zeros(args.batch, args.seq, dtype=torch.long)
    targets = (torch.rand(args.batch, args.labels) < 0.1).float()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def train_step():
        loss = loss_fn(model(ids, mask, types), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()

    model.train()
    for _ in range(args.warmup_steps):
        train_step()
    start = time.perf_counter()
    for _ in range(args.train_steps):
        train_step()
    train_seconds = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        for _ in range(args.warmup_steps):
            model(ids, mask, types)
        start = time.perf_counter()
        for _ in range(args.inference_batches):
            model(ids, mask, types)
        inference_seconds = time.perf_counter() - start

    build = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas_build": build.group(1) if build else "unknown",
        "blas_loaded": loaded_blas(),
        "train_tokens_per_s": args.train_steps * args.batch * args.seq / train_seconds,
        "inference_sentences_per_s": args.inference_batches * args.batch / inference_seconds,
    }))


if __name__ == "__main__":
    main()
