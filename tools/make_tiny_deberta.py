"""Writes a small randomly initialised DeBERTa-v3-style encoder folder (HF layout: config.json, model.safetensors, and the
committed SentencePiece fixture tokenizer) for proving configs/semeval-deberta-v3-cv.yaml end to end without a
pretrained checkpoint:

    /usr/bin/python3 tools/make_tiny_deberta.py /tmp/tiny-deberta-v3

The weights are HF's _init_weights layout at initializer_range; quality is not the point."""
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_deberta_fixtures import DebertaV2ForSequenceClassification, v3_config  # noqa: E402
from make_transformer_fixtures import save_safetensors  # noqa: E402
import json  # noqa: E402

SPM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Sentio.Tests", "Fixtures", "transformers", "spm")


def main(folder):
    os.makedirs(folder, exist_ok=True)
    config = v3_config()
    for key in ("id2label", "label2id", "problem_type", "architectures"):
        config.pop(key)
    config.update(vocab_size=1001, max_position_embeddings=128, position_buckets=32, hidden_size=64, pooler_hidden_size=64,
                  num_attention_heads=4, intermediate_size=128, num_hidden_layers=2)
    torch.manual_seed(3)
    labelled = dict(config, id2label={"0": "a"}, label2id={"a": 0})
    model = DebertaV2ForSequenceClassification(labelled)
    for m in model.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Embedding)):
            m.weight.data.normal_(0.0, config["initializer_range"])
        if isinstance(m, torch.nn.Linear) and m.bias is not None:
            m.bias.data.zero_()
    encoder = {k: v for k, v in model.state_dict().items() if k.startswith("deberta.")}
    save_safetensors(os.path.join(folder, "model.safetensors"), encoder, {"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for name in os.listdir(SPM):
        shutil.copy(os.path.join(SPM, name), os.path.join(folder, name))
    print(f"wrote {folder}: {sum(v.numel() for v in encoder.values()):,} encoder parameters")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tiny-deberta-v3")
