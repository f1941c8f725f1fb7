#!/usr/bin/python3
"""Reference fixtures for Sentio's transformer encoders, checkpoints and tokenizers.

What it produces, under tests/Sentio.Tests/Fixtures/transformers/:
  bert/, distilbert/, roberta/   tiny random Hugging Face folders (config.json + model.safetensors) for
                                 BertForSequenceClassification, DistilBertForSequenceClassification and
                                 RobertaForSequenceClassification, each with reference.json: a padded batch
                                 (input_ids, attention_mask, token_type_ids) and the outputs of the forward pass
                                 below (last_hidden_state, pooled_output where the model has one, logits).
  bert-f16/, bert-bf16/           the BERT checkpoint stored as F16 / BF16, with outputs of its rounded weights.
  dtypes.safetensors + dtypes.json   F16 / BF16 / F32 / I64 tensors and the float values they decode to.
  wordpiece_cases.json           texts and the ids HF's slow BertTokenizer gives them with the bert-base-uncased
                                 vocabulary at ../shared/models/all-MiniLM-L6-v2/vocab.txt.
  bpe/ + bpe_cases.json          a tiny RoBERTa byte-level BPE vocab.json / merges.txt and reference encodings.
And under src/Sentio.Onnx/Text/: UnicodeTables.g.cs, python's str.lower() and NFD decomposition tables (Unicode 14), which
the WordPiece tokenizer needs because .NET's InvariantGlobalization mode neither decomposes nor lowercases fully.

The transformers package is not installed here, so the forward passes are written in plain torch, line by line
after Hugging Face's modeling_bert.py, modeling_distilbert.py and modeling_roberta.py (eval mode: dropout off),
with Hugging Face's state-dict names; the tokenizers follow tokenization_bert.py (BasicTokenizer +
WordpieceTokenizer) and tokenization_roberta.py (bytes_to_unicode + bpe).

Run from the repository root:  /usr/bin/python3 tools/make_transformer_fixtures.py
(needs Debian's python3-torch; deterministic: same files every run).
"""
import json
import math
import os
import re
import struct
import unicodedata

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "Sentio.Tests", "Fixtures", "transformers")
SHARED_VOCAB = os.path.join(ROOT, "..", "shared", "models", "all-MiniLM-L6-v2", "vocab.txt")
LABELS = ["anger", "joy", "sadness"]

# ----------------------------------------------------------------------------------------------- safetensors

DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret the 16-bit pattern.
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def save_safetensors(path, tensors, metadata=None):
    """The safetensors layout: u64 little-endian header length, JSON header padded with spaces to 8 bytes, data."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name in sorted(tensors):
        data = tensor_bytes(tensors[name])
        header[name] = {"dtype": DTYPE_NAMES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)


# ----------------------------------------------------------------------------------------------- models

def activation(name):
    if name == "gelu":
        return lambda x: torch.nn.functional.gelu(x)  # erf form, HF GELUActivation
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "relu":
        return torch.relu
    if name == "tanh":  # DeBERTa's pooler_hidden_act
        return torch.tanh
    raise ValueError(name)


def init_weights(module, std):
    """HF _init_weights: Linear/Embedding ~ N(0, initializer_range), biases 0, padding row 0, LayerNorm 1/0."""
    for m in module.modules():
        if isinstance(m, torch.nn.Linear):
            m.weight.data.normal_(0.0, std)
            m.bias.data.zero_()
        elif isinstance(m, torch.nn.Embedding):
            m.weight.data.normal_(0.0, std)
            if m.padding_idx is not None:
                m.weight.data[m.padding_idx].zero_()
        elif isinstance(m, torch.nn.LayerNorm):
            # Random affine parameters instead of 1/0 so that a swapped weight/bias would show in the outputs.
            m.weight.data.normal_(1.0, 0.1)
            m.bias.data.normal_(0.0, 0.1)


def extended_mask(attention_mask, dtype):
    # modeling_utils.get_extended_attention_mask: [batch, 1, 1, seq], 0 where attended, finfo.min where masked.
    extended = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - extended) * torch.finfo(dtype).min


class BertEmbeddings(torch.nn.Module):
    def __init__(self, c, padding_idx_for_positions=None):
        super().__init__()
        self.word_embeddings = torch.nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.position_embeddings = torch.nn.Embedding(c["max_position_embeddings"], c["hidden_size"],
                                                      padding_idx=padding_idx_for_positions)
        self.token_type_embeddings = torch.nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = torch.nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, input_ids, token_type_ids, position_ids):
        embeddings = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(position_ids)
        return self.LayerNorm(embeddings)


class BertSelfAttention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        self.head_size = c["hidden_size"] // self.heads
        self.query = torch.nn.Linear(c["hidden_size"], c["hidden_size"])
        self.key = torch.nn.Linear(c["hidden_size"], c["hidden_size"])
        self.value = torch.nn.Linear(c["hidden_size"], c["hidden_size"])

    def split(self, x):
        return x.view(x.size(0), x.size(1), self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, hidden, mask):
        q, k, v = self.split(self.query(hidden)), self.split(self.key(hidden)), self.split(self.value(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + mask
        probs = torch.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return context.view(context.size(0), context.size(1), -1)


class DenseLayerNorm(torch.nn.Module):
    """BertSelfOutput / BertOutput: dense → dropout → LayerNorm(x + residual)."""

    def __init__(self, c, inputs):
        super().__init__()
        self.dense = torch.nn.Linear(inputs, c["hidden_size"])
        self.LayerNorm = torch.nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class BertAttention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        setattr(self, "self", BertSelfAttention(c))
        self.output = DenseLayerNorm(c, c["hidden_size"])

    def forward(self, hidden, mask):
        return self.output(getattr(self, "self")(hidden, mask), hidden)


class BertIntermediate(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = torch.nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.act = activation(c["hidden_act"])

    def forward(self, x):
        return self.act(self.dense(x))


class BertLayer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = DenseLayerNorm(c, c["intermediate_size"])

    def forward(self, hidden, mask):
        attention = self.attention(hidden, mask)
        return self.output(self.intermediate(attention), attention)


class BertEncoder(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = torch.nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, hidden, mask):
        for layer in self.layer:
            hidden = layer(hidden, mask)
        return hidden


class BertPooler(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = torch.nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, hidden):
        return torch.tanh(self.dense(hidden[:, 0]))


class BertModel(torch.nn.Module):
    def __init__(self, c, roberta=False, add_pooling_layer=True):
        super().__init__()
        self.roberta = roberta
        self.pad = c["pad_token_id"]
        self.embeddings = BertEmbeddings(c, c["pad_token_id"] if roberta else None)
        self.encoder = BertEncoder(c)
        if add_pooling_layer:
            self.pooler = BertPooler(c)

    def forward(self, input_ids, attention_mask, token_type_ids):
        if self.roberta:
            # modeling_roberta.create_position_ids_from_input_ids (past_key_values_length = 0)
            not_pad = input_ids.ne(self.pad).int()
            position_ids = (torch.cumsum(not_pad, dim=1).type_as(not_pad) * not_pad).long() + self.pad
        else:
            position_ids = torch.arange(input_ids.size(1)).unsqueeze(0).expand_as(input_ids)
        hidden = self.embeddings(input_ids, token_type_ids, position_ids)
        hidden = self.encoder(hidden, extended_mask(attention_mask, hidden.dtype))
        pooled = self.pooler(hidden) if hasattr(self, "pooler") else None
        return hidden, pooled


class BertForSequenceClassification(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c)
        self.classifier = torch.nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden, pooled = self.bert(input_ids, attention_mask, token_type_ids)
        return hidden, pooled, self.classifier(pooled)


class RobertaClassificationHead(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = torch.nn.Linear(c["hidden_size"], c["hidden_size"])
        self.out_proj = torch.nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, hidden):
        return self.out_proj(torch.tanh(self.dense(hidden[:, 0, :])))


class RobertaForSequenceClassification(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.roberta = BertModel(c, roberta=True, add_pooling_layer=False)
        self.classifier = RobertaClassificationHead(c)

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden, _ = self.roberta(input_ids, attention_mask, token_type_ids)
        return hidden, None, self.classifier(hidden)


class DistilEmbeddings(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = torch.nn.Embedding(c["vocab_size"], c["dim"], padding_idx=c["pad_token_id"])
        self.position_embeddings = torch.nn.Embedding(c["max_position_embeddings"], c["dim"])
        self.LayerNorm = torch.nn.LayerNorm(c["dim"], eps=1e-12)

    def forward(self, input_ids):
        position_ids = torch.arange(input_ids.size(1)).unsqueeze(0).expand_as(input_ids)
        return self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(position_ids))


class MultiHeadSelfAttention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_heads = c["n_heads"]
        self.dim = c["dim"]
        self.q_lin = torch.nn.Linear(c["dim"], c["dim"])
        self.k_lin = torch.nn.Linear(c["dim"], c["dim"])
        self.v_lin = torch.nn.Linear(c["dim"], c["dim"])
        self.out_lin = torch.nn.Linear(c["dim"], c["dim"])

    def forward(self, x, mask):
        bs, q_length, dim = x.size()
        head = self.dim // self.n_heads

        def shape(t):
            return t.view(bs, -1, self.n_heads, head).transpose(1, 2)

        q = shape(self.q_lin(x)) / math.sqrt(head)
        k, v = shape(self.k_lin(x)), shape(self.v_lin(x))
        scores = torch.matmul(q, k.transpose(2, 3))
        masked = (mask == 0).view(bs, 1, 1, q_length).expand_as(scores)
        scores = scores.masked_fill(masked, torch.tensor(torch.finfo(scores.dtype).min))
        weights = torch.softmax(scores, dim=-1)
        context = torch.matmul(weights, v).transpose(1, 2).contiguous().view(bs, -1, self.n_heads * head)
        return self.out_lin(context)


class FFN(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lin1 = torch.nn.Linear(c["dim"], c["hidden_dim"])
        self.lin2 = torch.nn.Linear(c["hidden_dim"], c["dim"])
        self.act = activation(c["activation"])

    def forward(self, x):
        return self.lin2(self.act(self.lin1(x)))


class TransformerBlock(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = MultiHeadSelfAttention(c)
        self.sa_layer_norm = torch.nn.LayerNorm(c["dim"], eps=1e-12)
        self.ffn = FFN(c)
        self.output_layer_norm = torch.nn.LayerNorm(c["dim"], eps=1e-12)

    def forward(self, x, mask):
        sa = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(sa) + sa)


class Transformer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = torch.nn.ModuleList([TransformerBlock(c) for _ in range(c["n_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class DistilBertModel(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = DistilEmbeddings(c)
        self.transformer = Transformer(c)

    def forward(self, input_ids, attention_mask):
        return self.transformer(self.embeddings(input_ids), attention_mask)


class DistilBertForSequenceClassification(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.distilbert = DistilBertModel(c)
        self.pre_classifier = torch.nn.Linear(c["dim"], c["dim"])
        self.classifier = torch.nn.Linear(c["dim"], len(c["id2label"]))

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden = self.distilbert(input_ids, attention_mask)
        return hidden, None, self.classifier(torch.relu(self.pre_classifier(hidden[:, 0])))


def label_maps():
    return {str(i): name for i, name in enumerate(LABELS)}, {name: i for i, name in enumerate(LABELS)}


def bert_config():
    id2label, label2id = label_maps()
    return {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": 100,
            "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": 16, "type_vocab_size": 2, "initializer_range": 0.02,
            "layer_norm_eps": 1e-12, "pad_token_id": 0, "id2label": id2label, "label2id": label2id,
            "problem_type": "multi_label_classification"}


def roberta_config():
    c = bert_config()
    c.update({"architectures": ["RobertaForSequenceClassification"], "model_type": "roberta", "type_vocab_size": 1,
              "max_position_embeddings": 18, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
              "hidden_act": "gelu_new", "layer_norm_eps": 1e-5})
    return c


def distilbert_config():
    id2label, label2id = label_maps()
    return {"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert", "vocab_size": 100,
            "dim": 32, "n_layers": 2, "n_heads": 4, "hidden_dim": 37, "activation": "gelu", "dropout": 0.1,
            "attention_dropout": 0.1, "seq_classif_dropout": 0.2, "max_position_embeddings": 16,
            "sinusoidal_pos_embds": False, "initializer_range": 0.02, "pad_token_id": 0, "id2label": id2label,
            "label2id": label2id, "problem_type": "multi_label_classification"}


def write_model(name, model_class, config, input_ids, attention_mask, token_type_ids):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    model = model_class(config)
    init_weights(model, config["initializer_range"])
    # Random (not zero) biases, so that every tensor's placement is checked by the outputs.
    for parameter_name, parameter in model.named_parameters():
        if parameter_name.endswith(".bias") and "LayerNorm" not in parameter_name and "layer_norm" not in parameter_name:
            parameter.data.normal_(0.0, 0.1)
    model.eval()
    with torch.no_grad():
        hidden, pooled, logits = model(input_ids, attention_mask, token_type_ids)
    save_safetensors(os.path.join(folder, "model.safetensors"),
                     {k: v for k, v in model.state_dict().items()}, {"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    reference = {"input_ids": input_ids.tolist(), "attention_mask": attention_mask.tolist(),
                 "token_type_ids": token_type_ids.tolist(),
                 "last_hidden_state": [round(v, 7) for v in hidden.flatten().tolist()],
                 "last_hidden_state_shape": list(hidden.shape),
                 "logits": [round(v, 7) for v in logits.flatten().tolist()]}
    if pooled is not None:
        reference["pooled_output"] = [round(v, 7) for v in pooled.flatten().tolist()]
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(reference, f)
    return model


def write_half_precision_copy(model, name, dtype, config, input_ids, attention_mask, token_type_ids):
    """The same model stored as F16 or BF16: outputs are recomputed (in F32) from the rounded weights."""
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    rounded = {k: v.to(dtype) for k, v in model.state_dict().items()}
    model.load_state_dict({k: v.to(torch.float32) for k, v in rounded.items()})
    with torch.no_grad():
        hidden, pooled, logits = model(input_ids, attention_mask, token_type_ids)
    save_safetensors(os.path.join(folder, "model.safetensors"), rounded, {"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    reference = {"input_ids": input_ids.tolist(), "attention_mask": attention_mask.tolist(),
                 "token_type_ids": token_type_ids.tolist(),
                 "last_hidden_state": [round(v, 7) for v in hidden.flatten().tolist()],
                 "last_hidden_state_shape": list(hidden.shape),
                 "pooled_output": [round(v, 7) for v in pooled.flatten().tolist()],
                 "logits": [round(v, 7) for v in logits.flatten().tolist()]}
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(reference, f)


def write_models():
    # Row 1 and 2 end in padding; row 0 uses both segments (BERT token types).
    bert_ids = torch.tensor([[2, 17, 45, 99, 3, 61, 8, 3], [2, 5, 6, 7, 3, 0, 0, 0], [2, 88, 3, 0, 0, 0, 0, 0]])
    mask = bert_ids.ne(0).long()
    mask[0] = 1
    types = torch.tensor([[0, 0, 0, 0, 0, 1, 1, 1], [0] * 8, [0] * 8])
    torch.manual_seed(1)
    bert = write_model("bert", BertForSequenceClassification, bert_config(), bert_ids, mask, types)
    write_half_precision_copy(bert, "bert-f16", torch.float16, bert_config(), bert_ids, mask, types)
    write_half_precision_copy(bert, "bert-bf16", torch.bfloat16, bert_config(), bert_ids, mask, types)
    torch.manual_seed(2)
    write_model("distilbert", DistilBertForSequenceClassification, distilbert_config(), bert_ids, mask,
                torch.zeros_like(bert_ids))
    roberta_ids = torch.tensor([[0, 17, 45, 99, 2, 61, 8, 2], [0, 5, 6, 7, 2, 1, 1, 1], [0, 88, 2, 1, 1, 1, 1, 1]])
    torch.manual_seed(3)
    write_model("roberta", RobertaForSequenceClassification, roberta_config(), roberta_ids,
                roberta_ids.ne(1).long(), torch.zeros_like(roberta_ids))


def write_dtypes():
    torch.manual_seed(4)
    values = torch.randn(2, 3) * 3
    tensors = {"half": values.to(torch.float16), "brain": values.to(torch.bfloat16), "single": values,
               "long": torch.tensor([[-3, 0, 1 << 40]])}
    save_safetensors(os.path.join(OUT, "dtypes.safetensors"), tensors, {"format": "pt", "note": "dtype fixture"})
    expected = {name: {"shape": list(t.shape), "values": t.to(torch.float64).flatten().tolist()}
                for name, t in tensors.items()}
    with open(os.path.join(OUT, "dtypes.json"), "w") as f:
        json.dump(expected, f, indent=1)


# ----------------------------------------------------------------------------------------------- WordPiece


def is_whitespace(char):
    if char in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(char) == "Zs"


def is_control(char):
    if char in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(char).startswith("C")


def is_punctuation(char):
    cp = ord(char)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(char).startswith("P")


def is_chinese_char(cp):
    return ((0x4E00 <= cp <= 0x9FFF) or (0x3400 <= cp <= 0x4DBF) or (0x20000 <= cp <= 0x2A6DF)
            or (0x2A700 <= cp <= 0x2B73F) or (0x2B740 <= cp <= 0x2B81F) or (0x2B820 <= cp <= 0x2CEAF)
            or (0xF900 <= cp <= 0xFAFF) or (0x2F800 <= cp <= 0x2FA1F))


def basic_tokenize(text, never_split, do_lower_case=True):
    """tokenization_bert.BasicTokenizer.tokenize (tokenize_chinese_chars=True, strip_accents=None)."""
    output = []
    for char in text:
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or is_control(char):
            continue
        output.append(" " if is_whitespace(char) else char)
    text = "".join(output)
    output = []
    for char in text:
        output.extend([" ", char, " "] if is_chinese_char(ord(char)) else [char])
    text = unicodedata.normalize("NFC", "".join(output))
    split_tokens = []
    for token in text.strip().split():
        if token not in never_split:
            if do_lower_case:
                token = token.lower()
                token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
        if token in never_split:
            split_tokens.append(token)
            continue
        words = []
        start_new_word = True
        for char in token:
            if is_punctuation(char):
                words.append([char])
                start_new_word = True
            else:
                if start_new_word:
                    words.append([])
                start_new_word = False
                words[-1].append(char)
        split_tokens.extend("".join(w) for w in words)
    return " ".join(split_tokens).strip().split()


def wordpiece(token, vocab, max_chars=100):
    """tokenization_bert.WordpieceTokenizer.tokenize for one whitespace-free token."""
    chars = list(token)
    if len(chars) > max_chars:
        return ["[UNK]"]
    pieces = []
    start = 0
    while start < len(chars):
        end = len(chars)
        current = None
        while start < end:
            piece = "".join(chars[start:end])
            if start > 0:
                piece = "##" + piece
            if piece in vocab:
                current = piece
                break
            end -= 1
        if current is None:
            return ["[UNK]"]
        pieces.append(current)
        start = end
    return pieces


SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def bert_tokenize(text, vocab):
    """PreTrainedTokenizer.tokenize: special tokens in the text are kept whole, the rest is basic + wordpiece."""
    pattern = "(" + "|".join(re.escape(s) for s in SPECIALS) + ")"
    tokens = []
    for part in re.split(pattern, text):
        if part in SPECIALS:
            tokens.append(part)
        elif part:
            for word in basic_tokenize(part, set(SPECIALS)):
                tokens.extend(wordpiece(word, vocab))
    return tokens


def write_wordpiece_cases():
    with open(SHARED_VOCAB, encoding="utf-8") as f:
        tokens = [line.rstrip("\n") for line in f]
    vocab = {t: i for i, t in enumerate(tokens)}
    texts = [
        "Hello, world!",
        "I love this café so much",
        "Naïve résumé: ÉCOLE über Ångström",
        "That's great 😀 thanks [NAME]!",
        "[NAME] said: \"wow...\" (really?) — yes; #blessed @you $5 & 100% ~ok",
        "我爱北京 tokyo東京",
        "unbelievablyunforgettableness " + "a" * 101 + " " + "b" * 100,
        "control\u0000chars\u0007here\ufffd and\ttabs\nnewlines\u00a0nbsp\u200bzero",
        "[CLS] already [SEP] inside [MASK]",
        "",
        "   ",
        "don't won't y'all can't",
        "This is a very long sentence that will be truncated because it has far more words than the limit allows",
        "emoji 👍🏽 flags 🇫🇷 and math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    ]
    cases = []
    for text in texts:
        pieces = bert_tokenize(text, vocab)
        cases.append({"text": text, "tokens": pieces, "ids": [vocab[p] for p in pieces]})
    with open(os.path.join(OUT, "wordpiece_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"vocab": "../shared/models/all-MiniLM-L6-v2/vocab.txt", "cases": cases}, f, indent=1,
                  ensure_ascii=False)


# ----------------------------------------------------------------------------------------------- byte-level BPE


def bytes_to_unicode():
    """tokenization_roberta.bytes_to_unicode: every byte gets a printable unicode character."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def pretokenize(text):
    """GPT-2's pattern 's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+ spelled out
    with unicodedata, because python's `re` lacks \\p{L} and \\p{N}."""
    def is_letter(c):
        return unicodedata.category(c).startswith("L")

    def is_number(c):
        return unicodedata.category(c).startswith("N")

    def is_other(c):
        return not c.isspace() and not is_letter(c) and not is_number(c)

    pieces = []
    i, n = 0, len(text)
    while i < n:
        contraction = next((c for c in ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d") if text.startswith(c, i)), None)
        if contraction is not None:
            pieces.append(contraction)
            i += len(contraction)
            continue
        j = i + 1 if text[i] == " " else i
        klass = next((k for k in (is_letter, is_number, is_other) if j < n and k(text[j])), None)
        if klass is not None:
            k = j
            while k < n and klass(text[k]):
                k += 1
            pieces.append(text[i:k])
            i = k
            continue
        # A whitespace run leaves its last character to the word that follows it (\\s+(?!\\S)).
        k = i
        while k < n and text[k].isspace():
            k += 1
        if k < n and k - i > 1:
            k -= 1
        pieces.append(text[i:k])
        i = k
    return pieces


def bpe(token, ranks):
    word = list(token)
    while len(word) > 1:
        pairs = [(ranks.get((word[a], word[a + 1]), float("inf")), a) for a in range(len(word) - 1)]
        best_rank = min(p[0] for p in pairs)
        if best_rank == float("inf"):
            break
        first, second = next((word[a], word[a + 1]) for r, a in pairs if r == best_rank)
        merged = []
        a = 0
        while a < len(word):
            if a < len(word) - 1 and word[a] == first and word[a + 1] == second:
                merged.append(first + second)
                a += 2
            else:
                merged.append(word[a])
                a += 1
        word = merged
    return word


def write_bpe():
    folder = os.path.join(OUT, "bpe")
    os.makedirs(folder, exist_ok=True)
    byte_encoder = bytes_to_unicode()
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4}
    for b in range(256):
        vocab[byte_encoder[b]] = len(vocab)
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("l", "o"), ("lo", "w"), ("Ġ", "low"), ("e", "r"),
              ("Ġlow", "er"), ("Ġ", "n"), ("e", "w"), ("Ġn", "ew"), ("e", "s"), ("es", "t"), ("Ġ", "w"),
              ("i", "d"), ("Ġw", "id"), ("'", "s"), ("Ã", "©"), ("c", "af"), ("a", "f"), ("Ġ", "c"),
              ("Ġc", "af"), ("Ġcaf", "Ã©"), ("Ġ", "Ġ")]
    for first, second in merges:
        if first + second not in vocab:
            vocab[first + second] = len(vocab)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for first, second in merges:
            f.write(f"{first} {second}\n")
    ranks = {pair: i for i, pair in enumerate(merges)}
    texts = ["the lower newest", "lowest widest", "The café's new", "it's  the   end ", "héllo 😀 123 4567!",
             " leading space", "tabs\tand\nnewlines"]
    cases = []
    for text in texts:
        pieces = []
        for piece in pretokenize(text):
            mapped = "".join(byte_encoder[b] for b in piece.encode("utf-8"))
            pieces.extend(bpe(mapped, ranks))
        cases.append({"text": text, "tokens": pieces, "ids": [vocab[p] for p in pieces]})
    with open(os.path.join(OUT, "bpe_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, indent=1, ensure_ascii=False)


def write_unicode_tables():
    lower, decompositions = [], []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or 0xAC00 <= cp <= 0xD7A3:  # surrogates; Hangul syllables decompose by formula
            continue
        c = chr(cp)
        if c.lower() != c:
            lower.append("%X:%s" % (cp, " ".join("%X" % ord(x) for x in c.lower())))
        nfd = unicodedata.normalize("NFD", c)
        if nfd != c:
            decompositions.append("%X:%s" % (cp, " ".join("%X" % ord(x) for x in nfd)))

    def literal(entries):
        lines = []
        line = ""
        for entry in entries:
            if len(line) + len(entry) > 100:
                lines.append(line)
                line = ""
            line += entry + ";"
        lines.append(line)
        return "\n".join('        "%s" +' % l for l in lines)[:-2]

    path = os.path.join(ROOT, "src", "Sentio.Onnx", "Text", "UnicodeTables.g.cs")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("// <auto-generated> by tools/make_transformer_fixtures.py from python's unicodedata %s; do not edit.\n"
                % unicodedata.unidata_version)
        f.write("namespace Sentio.Text;\n\n")
        f.write("/// <summary>Python's str.lower() and unicodedata.normalize('NFD') per code point, as hex: "
                "\"code:mapped code points;\".</summary>\n")
        f.write("internal static class UnicodeTables\n{\n")
        f.write("    public const string UnicodeVersion = \"%s\";\n\n" % unicodedata.unidata_version)
        f.write("    public const string Lowercase =\n%s;\n\n" % literal(lower))
        f.write("    public const string Decomposition =\n%s;\n}\n" % literal(decompositions))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_unicode_tables()
    write_models()
    write_dtypes()
    write_wordpiece_cases()
    write_bpe()
