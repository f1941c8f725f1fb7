"""Writes ONNX exports of the tiny BERT, DistilBERT and RoBERTa classifiers of Fixtures/transformers/{bert,distilbert,
roberta} (the same modules and weights as tools/make_transformer_fixtures.py), as torch.onnx.export writes them
(Debian's python3-torch 1.13, opset 13, constant folding on, dynamic batch and sequence axes):
Fixtures/transformers/onnx/{bert,distilbert,roberta}.onnx. OnnxImporterTests converts them back and compares every
tensor with the fixture's model.safetensors.

Run from the repository root: /usr/bin/python3 tools/make_onnx_fixtures.py
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_transformer_fixtures as fixtures  # noqa: E402
from make_pickle_fixtures import read_safetensors  # noqa: E402

FIXTURES = os.path.join("tests", "Sentio.Tests", "Fixtures", "transformers")
MODELS = {
    "bert": fixtures.BertForSequenceClassification,
    "distilbert": fixtures.DistilBertForSequenceClassification,
    "roberta": fixtures.RobertaForSequenceClassification,
}


def export(name, model_class):
    folder = os.path.join(FIXTURES, name)
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    model = model_class(config)
    model.load_state_dict(read_safetensors(os.path.join(folder, "model.safetensors")), strict=True)
    model.eval()
    ids = torch.tensor([[2, 17, 45, 3], [2, 5, 3, 1]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    types = torch.zeros_like(ids)
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "token_type_ids": {0: "batch", 1: "sequence"}}
    os.makedirs(os.path.join(FIXTURES, "onnx"), exist_ok=True)
    torch.onnx.export(model, (ids, mask, types), os.path.join(FIXTURES, "onnx", f"{name}.onnx"),
                      input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["last_hidden_state", "pooled", "logits"] if name == "bert" else ["last_hidden_state", "logits"],
                      dynamic_axes=axes,
                      opset_version=13, do_constant_folding=True)


if __name__ == "__main__":
    torch.manual_seed(0)
    for model_name, model_type in MODELS.items():
        export(model_name, model_type)
