#!/usr/bin/python3
"""ONNX classifier folders in the layout `sentio export --format onnx` writes (model.json with architecture
sentio.OnnxClassifier.v1, 1/model.onnx, config.pbtxt, labels.txt, thresholds.json, the tokenizer's Hugging Face files and
config.json), exported here by torch.onnx.export (Debian's python3-torch 1.13, opset 17, dynamic batch and sequence axes,
inputs input_ids / attention_mask / token_type_ids int64, outputs logits and probabilities = sigmoid(logits) float32).

Default: tests/Sentio.Tests/Fixtures/onnx_classifier/
  tiny/            a small random BertForSequenceClassification (the plain-torch modules of make_transformer_fixtures.py,
                   after Hugging Face's modeling_bert.py) with a small uncased vocab.txt
  foreign_inputs.onnx   a graph that is no classifier: one float input x, output y = x
  foreign_outputs.onnx  the contract's three int64 inputs but one output, last_hidden_state = float(input_ids)
  reference.json   the number of initializer elements in tiny/1/model.onnx (as the onnx package reads it), texts, the ids Hugging Face's slow BertTokenizer gives them (make_transformer_fixtures.bert_tokenize),
                   truncated at max_length, and torch's probabilities on them as one right-padded batch

--minilm OUT: a MiniLM-shaped classifier for the bench: all-MiniLM-L6-v2's weights (Sentio's converted folder at
  /root/.sentio/models/all-MiniLM-L6-v2, its pooler included) under a random 28-label GoEmotions classifier layer, as
  Hugging Face's BertForSequenceClassification, written twice from the same weights:
  OUT/torch  a Hugging Face sequence-classification folder (config.json with id2label, model.safetensors) that Sentio
             loads on TorchSharp, and OUT/onnx  the exported folder.

Run from the repository root:  /usr/bin/python3 tools/make_onnx_classifier_fixture.py [--minilm OUT]
(deterministic: same weights every run).
"""
import json
import os
import shutil
import sys

import onnx
import torch
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_transformer_fixtures as fixtures  # noqa: E402
from make_pickle_fixtures import read_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "Sentio.Tests", "Fixtures", "onnx_classifier")
DEV = os.path.join(ROOT, "..", "shared", "data", "goemotions", "original", "dev.tsv")
MINILM = "/root/.sentio/models/all-MiniLM-L6-v2"
LABELS = ["admiration", "anger", "joy", "sadness", "surprise"]
GOEMOTIONS = ["admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity", "desire",
              "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear", "gratitude", "grief",
              "joy", "love", "nervousness", "optimism", "pride", "realization", "relief", "remorse", "sadness",
              "surprise", "neutral"]
MAX_LENGTH = 24
TEXTS = [
    "I love this so much!",
    "That was AWFUL, why would anyone do that?",
    "ok",
    "Café naïve résumé: très élégant",
    "unbelievable!!! the weather is wonderful today and everyone is happy, happy, happy; nobody is sad at all",
    "[NAME] said it's fine, 42 times.",
    "quantization-aware? no: dynamic.",
]
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
AXES = {name: {0: "batch", 1: "sequence"} for name in INPUTS}
AXES.update({"logits": {0: "batch"}, "probabilities": {0: "batch"}})


class WithProbabilities(torch.nn.Module):
    """The exported graph: the classifier's logits and their sigmoid (multi-label probabilities)."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, input_ids, attention_mask, token_type_ids):
        logits = self.classifier(input_ids, attention_mask, token_type_ids)[2]
        return logits, torch.sigmoid(logits)


def small_vocabulary():
    """Specials, single characters and their ## continuations, then the most frequent lowercased GoEmotions dev words
    (whole words, so that common words are one token and rarer ones split into pieces)."""
    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789") + list("!?.,;:'\"()[]-")
    vocab = fixtures.SPECIALS + chars + ["##" + c for c in chars if c.isalnum()]
    counts = {}
    with open(DEV, encoding="utf-8") as f:
        for line in f:
            for word in fixtures.basic_tokenize(line.split("\t")[0], set(fixtures.SPECIALS)):
                counts[word] = counts.get(word, 0) + 1
    for word, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= 600:
            break
        if word not in vocab:
            vocab.append(word)
    return vocab


def write_tokenizer_files(folder, vocab_lines):
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab_lines) + "\n")
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "strip_accents": None,
                   "tokenize_chinese_chars": True, "model_max_length": MAX_LENGTH, "unk_token": "[UNK]",
                   "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}, f, indent=2)
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
        json.dump({"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                   "mask_token": "[MASK]"}, f, indent=2)


def write_contract(folder, model, config, labels, max_length):
    """model.json, 1/model.onnx, config.pbtxt, labels.txt and config.json, as the exporter's folder contract has them."""
    os.makedirs(os.path.join(folder, "1"), exist_ok=True)
    ids = torch.tensor([[2, 17, 45, 3], [2, 5, 3, 0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    torch.onnx.export(WithProbabilities(model).eval(), (ids, mask, torch.zeros_like(ids)),
                      os.path.join(folder, "1", "model.onnx"), input_names=INPUTS,
                      output_names=["logits", "probabilities"], dynamic_axes=AXES, opset_version=17,
                      do_constant_folding=True)
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump({"architecture": "sentio.OnnxClassifier.v1", "labels": labels,
                   "options": {"family": "bert", "max_length": max_length, "inputs": INPUTS, "precision": "fp32"}},
                  f, indent=2)
    with open(os.path.join(folder, "labels.txt"), "w") as f:
        f.write("\n".join(labels) + "\n")
    inputs = "\n".join(f'  {{ name: "{n}" data_type: TYPE_INT64 dims: [ -1 ] }},' for n in INPUTS).rstrip(",")
    with open(os.path.join(folder, "config.pbtxt"), "w") as f:
        f.write(f'platform: "onnxruntime_onnx"\nmax_batch_size: 64\ninput [\n{inputs}\n]\noutput [\n'
                f'  {{ name: "logits" data_type: TYPE_FP32 dims: [ {len(labels)} ] }},\n'
                f'  {{ name: "probabilities" data_type: TYPE_FP32 dims: [ {len(labels)} ] }}\n]\n')
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


def encode(text, vocab_ids, vocab):
    tokens = fixtures.bert_tokenize(text, vocab)[:MAX_LENGTH - 2]
    return [vocab_ids["[CLS]"]] + [vocab_ids.get(t, vocab_ids["[UNK]"]) for t in tokens] + [vocab_ids["[SEP]"]]


def write_tiny():
    folder = os.path.join(OUT, "tiny")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    vocab_lines = small_vocabulary()
    vocab_ids = {t: i for i, t in enumerate(vocab_lines)}
    config = fixtures.bert_config()
    id2label = {str(i): name for i, name in enumerate(LABELS)}
    # Wider than make_transformer_fixtures' BERT so that its MatMuls carry most of the bytes, as in a real encoder,
    # and a larger initializer range so that the probabilities spread over (0, 1).
    config.update({"vocab_size": len(vocab_lines), "hidden_size": 128, "intermediate_size": 512,
                   "max_position_embeddings": 32, "initializer_range": 0.08, "id2label": id2label,
                   "label2id": {name: i for i, name in enumerate(LABELS)}})
    model = fixtures.BertForSequenceClassification(config)
    fixtures.init_weights(model, config["initializer_range"])
    for name, parameter in model.named_parameters():
        if name.endswith(".bias") and "LayerNorm" not in name:
            parameter.data.normal_(0.0, 0.1)
    model.classifier.weight.data.normal_(0.0, 0.5)
    model.eval()
    write_tokenizer_files(folder, vocab_lines)
    write_contract(folder, model, config, LABELS, MAX_LENGTH)
    # Per-label thresholds in the ThresholdSet format, so that loading them from a model folder is visible.
    with open(os.path.join(folder, "thresholds.json"), "w") as f:
        json.dump({"strategy": "per_label", "objective": "micro_f1", "global_threshold": 0.5,
                   "per_label": {name: round(0.3 + 0.1 * i, 2) for i, name in enumerate(LABELS)},
                   "fallback_labels": [], "validation_f1": {"global": 0.5, "per_label": 0.5}}, f, indent=2)

    encoded = [encode(t, vocab_ids, vocab_lines) for t in TEXTS]
    length = max(len(e) for e in encoded)
    ids = torch.tensor([e + [0] * (length - len(e)) for e in encoded])
    mask = torch.tensor([[1] * len(e) + [0] * (length - len(e)) for e in encoded])
    with torch.no_grad():
        probabilities = torch.sigmoid(model(ids, mask, torch.zeros_like(ids))[2])
    graph = onnx.load(os.path.join(folder, "1", "model.onnx")).graph
    initializer_elements = sum(int(torch.tensor(list(t.dims)).prod()) if t.dims else 1 for t in graph.initializer)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"texts": TEXTS, "max_length": MAX_LENGTH, "initializer_elements": initializer_elements,
                   "input_ids": [e for e in encoded],
                   "probabilities": [[round(v, 8) for v in row] for row in probabilities.tolist()]}, f, indent=1)


def write_foreign_graphs():
    """Valid ONNX graphs that are not Sentio classifiers, for the scorer's contract errors."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), os.path.join(OUT, "foreign_inputs.onnx"))
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"]) for n in INPUTS]
    hidden = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence"])
    graph = helper.make_graph([helper.make_node("Cast", ["input_ids"], ["last_hidden_state"], to=TensorProto.FLOAT)],
                              "encoder", inputs, [hidden])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), os.path.join(OUT, "foreign_outputs.onnx"))


def write_minilm(out):
    """all-MiniLM-L6-v2 with a random 28-label head, as a Sentio-loadable HF folder and as an exported ONNX folder."""
    with open(os.path.join(MINILM, "config.json")) as f:
        config = json.load(f)
    config.update({"architectures": ["BertForSequenceClassification"],
                   "id2label": {str(i): n for i, n in enumerate(GOEMOTIONS)},
                   "label2id": {n: i for i, n in enumerate(GOEMOTIONS)}, "problem_type": "multi_label_classification"})
    model = fixtures.BertForSequenceClassification(config)
    weights = {"bert." + k: v for k, v in read_safetensors(os.path.join(MINILM, "model.safetensors")).items()
               if k != "embeddings.position_ids"}
    torch.manual_seed(0)
    weights["classifier.weight"] = torch.randn(len(GOEMOTIONS), config["hidden_size"]) * 0.2
    weights["classifier.bias"] = torch.randn(len(GOEMOTIONS)) * 0.1
    model.load_state_dict(weights, strict=True)
    model.eval()
    for kind in ("torch", "onnx"):
        folder = os.path.join(out, kind)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for name in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copy(os.path.join(MINILM, name), folder)
    fixtures.save_safetensors(os.path.join(out, "torch", "model.safetensors"), dict(model.state_dict()), {"format": "pt"})
    with open(os.path.join(out, "torch", "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_contract(os.path.join(out, "onnx"), model, config, GOEMOTIONS, 128)


if __name__ == "__main__":
    torch.manual_seed(0)
    if len(sys.argv) == 3 and sys.argv[1] == "--minilm":
        write_minilm(sys.argv[2])
    else:
        write_tiny()
        write_foreign_graphs()
