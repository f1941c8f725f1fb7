#!/usr/bin/python3
"""Reference fixtures for Sentio's DeBERTa-v2/v3 encoder (src/Sentio/Models/DebertaV2.cs).

What it produces, under tests/Sentio.Tests/Fixtures/transformers/:
  deberta-v3/       a v3-style DebertaV2ForSequenceClassification (relative attention, log-bucketed positions,
                    share_att_key, norm_rel_ebd layer_norm, pos_att_type p2c|c2p, no absolute positions, no token types)
  deberta-v2/       a v2-style one (separate pos_key_proj / pos_query_proj, clamped max_relative_positions, absolute
                    positions, token types, the ConvLayer of conv_kernel_size 3)
  deberta-c2p/      c2p only (scale factor 2), buckets, share_att_key off
each as a tiny random Hugging Face folder (config.json + model.safetensors) with reference.json: a padded batch
(input_ids, attention_mask, token_type_ids), the outputs of the forward pass below (last_hidden_state, pooled_output,
logits) and, per row, the logits of that row alone without padding (row_logits).

  deberta-v3-base.config.json / deberta-v3-xsmall.config.json   the published config.json of microsoft/deberta-v3-base
                    and -xsmall, and, beside each, .header.json: the safetensors header (names, dtypes, shapes,
                    offsets) of the deberta.* encoder that the transcription below builds from that config (the
                    layout of the published checkpoint's encoder); no weights.

The transformers package is not installed here, so the forward pass is written in plain torch, line by line after
Hugging Face's modeling_deberta_v2.py (eval mode: StableDropout off) with its state-dict names.

Run from the repository root:  /usr/bin/python3 tools/make_deberta_fixtures.py
(needs Debian's python3-torch; deterministic: same files every run).
"""
import json
import math
import os

import torch

from make_transformer_fixtures import OUT, BertIntermediate, DenseLayerNorm, activation, label_maps, save_safetensors


def pos_att_type(c):
    value = c.get("pos_att_type")
    if value is None:
        return []
    if isinstance(value, str):
        return [x.strip() for x in value.lower().split("|")]
    return value


def max_relative_positions(c):
    m = c.get("max_relative_positions", -1)
    return c["max_position_embeddings"] if m < 1 else m


def make_log_bucket_position(relative_pos, bucket_size, max_position):
    sign = torch.sign(relative_pos)
    mid = bucket_size // 2
    abs_pos = torch.where((relative_pos < mid) & (relative_pos > -mid), torch.tensor(mid - 1).type_as(relative_pos),
                          torch.abs(relative_pos))
    log_pos = torch.ceil(torch.log(abs_pos / mid) / torch.log(torch.tensor((max_position - 1) / mid)) * (mid - 1)) + mid
    return torch.where(abs_pos <= mid, relative_pos.type_as(log_pos), log_pos * sign)


def build_relative_position(query_size, key_size, bucket_size=-1, max_position=-1):
    q_ids = torch.arange(0, query_size)
    k_ids = torch.arange(0, key_size)
    rel_pos_ids = q_ids[:, None] - k_ids[None, :]
    if bucket_size > 0 and max_position > 0:
        rel_pos_ids = make_log_bucket_position(rel_pos_ids, bucket_size, max_position)
    return rel_pos_ids.to(torch.long)[:query_size, :].unsqueeze(0)


class ContextPooler(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = torch.nn.Linear(c["hidden_size"], c["hidden_size"])
        self.act = activation(c.get("pooler_hidden_act", "gelu"))

    def forward(self, hidden):
        return self.act(self.dense(hidden[:, 0]))


def xsoftmax(scores, mask):
    rmask = ~(mask.to(torch.bool))
    output = scores.masked_fill(rmask, torch.tensor(torch.finfo(scores.dtype).min))
    output = torch.softmax(output, -1)
    output.masked_fill_(rmask, 0)
    return output


class DisentangledSelfAttention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        h = c["hidden_size"]
        self.query_proj = torch.nn.Linear(h, h)
        self.key_proj = torch.nn.Linear(h, h)
        self.value_proj = torch.nn.Linear(h, h)
        self.share_att_key = c.get("share_att_key", False)
        self.pos_att_type = pos_att_type(c)
        self.relative_attention = c.get("relative_attention", False)
        if self.relative_attention:
            self.position_buckets = c.get("position_buckets", -1)
            self.max_relative_positions = max_relative_positions(c)
            self.pos_ebd_size = self.position_buckets if self.position_buckets > 0 else self.max_relative_positions
            if not self.share_att_key:
                if "c2p" in self.pos_att_type:
                    self.pos_key_proj = torch.nn.Linear(h, h)
                if "p2c" in self.pos_att_type:
                    self.pos_query_proj = torch.nn.Linear(h, h)

    def transpose_for_scores(self, x):
        x = x.view(x.size()[:-1] + (self.heads, -1))
        return x.permute(0, 2, 1, 3).contiguous().view(-1, x.size(1), x.size(-1))

    def forward(self, hidden, mask, relative_pos, rel_embeddings):
        query = self.transpose_for_scores(self.query_proj(hidden))
        key = self.transpose_for_scores(self.key_proj(hidden))
        value = self.transpose_for_scores(self.value_proj(hidden))
        scale_factor = 1 + ("c2p" in self.pos_att_type) + ("p2c" in self.pos_att_type)
        scale = torch.sqrt(torch.tensor(query.size(-1), dtype=torch.float) * scale_factor)
        scores = torch.bmm(query, key.transpose(-1, -2)) / scale.to(query.dtype)  # HF: torch.tensor(scale, dtype=...), the same value
        if self.relative_attention:
            scores = scores + self.disentangled_attention_bias(query, key, relative_pos, rel_embeddings, scale_factor)
        scores = scores.view(-1, self.heads, scores.size(-2), scores.size(-1))
        probs = xsoftmax(scores, mask)
        context = torch.bmm(probs.view(-1, probs.size(-2), probs.size(-1)), value)
        context = context.view(-1, self.heads, context.size(-2), context.size(-1)).permute(0, 2, 1, 3).contiguous()
        return context.view(context.size()[:-2] + (-1,))

    def disentangled_attention_bias(self, query, key, relative_pos, rel_embeddings, scale_factor):
        relative_pos = relative_pos.unsqueeze(1)
        att_span = self.pos_ebd_size
        rel_embeddings = rel_embeddings[0:att_span * 2, :].unsqueeze(0)
        copies = query.size(0) // self.heads
        if self.share_att_key:
            pos_query = self.transpose_for_scores(self.query_proj(rel_embeddings)).repeat(copies, 1, 1)
            pos_key = self.transpose_for_scores(self.key_proj(rel_embeddings)).repeat(copies, 1, 1)
        else:
            if "c2p" in self.pos_att_type:
                pos_key = self.transpose_for_scores(self.pos_key_proj(rel_embeddings)).repeat(copies, 1, 1)
            if "p2c" in self.pos_att_type:
                pos_query = self.transpose_for_scores(self.pos_query_proj(rel_embeddings)).repeat(copies, 1, 1)
        score = 0
        if "c2p" in self.pos_att_type:
            scale = torch.sqrt(torch.tensor(pos_key.size(-1), dtype=torch.float) * scale_factor)
            c2p_att = torch.bmm(query, pos_key.transpose(-1, -2))
            c2p_pos = torch.clamp(relative_pos + att_span, 0, att_span * 2 - 1)
            c2p_att = torch.gather(c2p_att, dim=-1,
                                   index=c2p_pos.squeeze(0).expand([query.size(0), query.size(1), relative_pos.size(-1)]))
            score += c2p_att / scale.to(c2p_att.dtype)
        if "p2c" in self.pos_att_type:
            scale = torch.sqrt(torch.tensor(pos_query.size(-1), dtype=torch.float) * scale_factor)
            p2c_pos = torch.clamp(-relative_pos + att_span, 0, att_span * 2 - 1)
            p2c_att = torch.bmm(key, pos_query.transpose(-1, -2))
            p2c_att = torch.gather(p2c_att, dim=-1,
                                   index=p2c_pos.squeeze(0).expand([query.size(0), key.size(-2), key.size(-2)])).transpose(-1, -2)
            score += p2c_att / scale.to(p2c_att.dtype)
        return score


class DebertaV2Attention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        setattr(self, "self", DisentangledSelfAttention(c))
        self.output = DenseLayerNorm(c, c["hidden_size"])

    def forward(self, hidden, mask, relative_pos, rel_embeddings):
        return self.output(getattr(self, "self")(hidden, mask, relative_pos, rel_embeddings), hidden)


class DebertaV2Intermediate(BertIntermediate):
    """modeling_deberta_v2 copies BertIntermediate unchanged."""


class DebertaV2Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = DebertaV2Attention(c)
        self.intermediate = DebertaV2Intermediate(c)
        self.output = DenseLayerNorm(c, c["intermediate_size"])

    def forward(self, hidden, mask, relative_pos, rel_embeddings):
        attention = self.attention(hidden, mask, relative_pos, rel_embeddings)
        return self.output(self.intermediate(attention), attention)


class ConvLayer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        kernel_size = c.get("conv_kernel_size", 3)
        self.conv_act = c.get("conv_act", "tanh")
        self.conv = torch.nn.Conv1d(c["hidden_size"], c["hidden_size"], kernel_size, padding=(kernel_size - 1) // 2,
                                    groups=c.get("conv_groups", 1))
        self.LayerNorm = torch.nn.LayerNorm(c["hidden_size"], c["layer_norm_eps"])

    def forward(self, hidden_states, residual_states, input_mask):
        out = self.conv(hidden_states.permute(0, 2, 1).contiguous()).permute(0, 2, 1).contiguous()
        rmask = (1 - input_mask).bool()
        out.masked_fill_(rmask.unsqueeze(-1).expand(out.size()), 0)
        out = activation(self.conv_act)(out)
        layer_norm_input = residual_states + out
        output = self.LayerNorm(layer_norm_input).to(layer_norm_input)
        return output * input_mask.unsqueeze(2).to(output.dtype)


class DebertaV2Encoder(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = torch.nn.ModuleList([DebertaV2Layer(c) for _ in range(c["num_hidden_layers"])])
        self.relative_attention = c.get("relative_attention", False)
        if self.relative_attention:
            self.max_relative_positions = max_relative_positions(c)
            self.position_buckets = c.get("position_buckets", -1)
            size = self.position_buckets * 2 if self.position_buckets > 0 else self.max_relative_positions * 2
            self.rel_embeddings = torch.nn.Embedding(size, c["hidden_size"])
        self.norm_rel_ebd = [x.strip() for x in c.get("norm_rel_ebd", "none").lower().split("|")]
        if "layer_norm" in self.norm_rel_ebd:
            self.LayerNorm = torch.nn.LayerNorm(c["hidden_size"], c["layer_norm_eps"], elementwise_affine=True)
        self.conv = ConvLayer(c) if c.get("conv_kernel_size", 0) > 0 else None

    def forward(self, hidden_states, attention_mask):
        input_mask = attention_mask
        extended = attention_mask.unsqueeze(1).unsqueeze(2)
        mask = (extended * extended.squeeze(-2).unsqueeze(-1)).byte()
        relative_pos = None
        rel_embeddings = None
        if self.relative_attention:
            relative_pos = build_relative_position(hidden_states.size(-2), hidden_states.size(-2),
                                                   bucket_size=self.position_buckets,
                                                   max_position=self.max_relative_positions)
            rel_embeddings = self.rel_embeddings.weight
            if "layer_norm" in self.norm_rel_ebd:
                rel_embeddings = self.LayerNorm(rel_embeddings)
        output = hidden_states
        for i, layer in enumerate(self.layer):
            output = layer(output, mask, relative_pos, rel_embeddings)
            if i == 0 and self.conv is not None:
                output = self.conv(hidden_states, output, input_mask)
        return output


class DebertaV2Embeddings(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.word_embeddings = torch.nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c.get("pad_token_id", 0))
        self.position_biased_input = c.get("position_biased_input", True)
        if self.position_biased_input:
            self.position_embeddings = torch.nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        if c["type_vocab_size"] > 0:
            self.token_type_embeddings = torch.nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = torch.nn.LayerNorm(c["hidden_size"], c["layer_norm_eps"])
        # Persistent in the Hugging Face versions that wrote most DeBERTa checkpoints; Sentio ignores it on load.
        self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).expand((1, -1)))

    def forward(self, input_ids, token_type_ids, mask):
        position_ids = self.position_ids[:, :input_ids.size(1)]
        embeddings = self.word_embeddings(input_ids)
        if self.position_biased_input:
            embeddings = embeddings + self.position_embeddings(position_ids.long())
        if self.c["type_vocab_size"] > 0:
            embeddings = embeddings + self.token_type_embeddings(token_type_ids)
        embeddings = self.LayerNorm(embeddings)
        return embeddings * mask.unsqueeze(2).to(embeddings.dtype)


class DebertaV2Model(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = DebertaV2Embeddings(c)
        self.encoder = DebertaV2Encoder(c)

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.encoder(self.embeddings(input_ids, token_type_ids, attention_mask), attention_mask)


class DebertaV2ForSequenceClassification(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.deberta = DebertaV2Model(c)
        self.pooler = ContextPooler(c)
        self.classifier = torch.nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden = self.deberta(input_ids, attention_mask, token_type_ids)
        pooled = self.pooler(hidden)
        return hidden, pooled, self.classifier(pooled)


def base_config(**changes):
    id2label, label2id = label_maps()
    c = {"architectures": ["DebertaV2ForSequenceClassification"], "model_type": "deberta-v2", "vocab_size": 100,
         "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
         "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
         "max_position_embeddings": 64, "type_vocab_size": 0, "initializer_range": 0.02, "layer_norm_eps": 1e-7,
         "pad_token_id": 0, "pooler_hidden_size": 32, "pooler_dropout": 0, "pooler_hidden_act": "gelu",
         "id2label": id2label, "label2id": label2id, "problem_type": "multi_label_classification"}
    c.update(changes)
    return c


def v3_config():
    # microsoft/deberta-v3-base's attention settings, with position_buckets 256 scaled down to 8 so that a 12-token
    # batch reaches the log buckets (|i - j| >= 4).
    return base_config(relative_attention=True, position_buckets=8, max_relative_positions=-1, norm_rel_ebd="layer_norm",
                       share_att_key=True, pos_att_type="p2c|c2p", position_biased_input=False)


def v2_config():
    # deberta-v2-xlarge's ConvLayer, with separate position projections and a clamped relative span of 5.
    return base_config(relative_attention=True, max_relative_positions=5, position_buckets=-1, norm_rel_ebd="layer_norm",
                       share_att_key=False, pos_att_type=["c2p", "p2c"], position_biased_input=True, type_vocab_size=2,
                       conv_kernel_size=3, conv_act="gelu", hidden_act="gelu_new", cls_dropout=0.15)


def c2p_config():
    return base_config(relative_attention=True, position_buckets=6, max_relative_positions=32, norm_rel_ebd="none",
                       share_att_key=False, pos_att_type="c2p", position_biased_input=True, conv_kernel_size=0)


def init_weights(model, std):
    """HF _init_weights's layout (Linear/Embedding ~ N(0, std), padding row 0) with a std far above
    initializer_range, random LayerNorm affine parameters and random biases, so that the rows' outputs differ by much
    more than the 1e-4 tolerance and a swapped or misplaced tensor shows."""
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            m.weight.data.normal_(0.0, std)
        elif isinstance(m, torch.nn.Embedding):
            m.weight.data.normal_(0.0, std)
            if m.padding_idx is not None:
                m.weight.data[m.padding_idx].zero_()
        elif isinstance(m, torch.nn.LayerNorm):
            m.weight.data.normal_(1.0, 0.1)
            m.bias.data.normal_(0.0, 0.1)
    for name, p in model.named_parameters():
        if name.endswith(".bias") and "LayerNorm" not in name:
            p.data.normal_(0.0, 0.1)


def rounded(t):
    return [round(v, 7) for v in t.flatten().tolist()]


def write_model(name, config, seed):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(seed)
    model = DebertaV2ForSequenceClassification(config)
    init_weights(model, 0.3)
    model.eval()
    # [CLS]=1 ... [SEP]=2, padding 0; rows of 12, 5 and 3 real tokens.
    input_ids = torch.tensor([[1, 17, 45, 99, 23, 61, 8, 33, 71, 12, 44, 2], [1, 5, 6, 7, 2] + [0] * 7,
                              [1, 88, 2] + [0] * 9])
    attention_mask = input_ids.ne(0).long()
    token_type_ids = torch.zeros_like(input_ids)
    if config["type_vocab_size"] > 1:
        token_type_ids[0, 6:] = 1
    with torch.no_grad():
        hidden, pooled, logits = model(input_ids, attention_mask, token_type_ids)
        row_logits = []
        for row in range(input_ids.size(0)):
            n = int(attention_mask[row].sum())
            row_logits.append(rounded(model(input_ids[row:row + 1, :n], attention_mask[row:row + 1, :n],
                                            token_type_ids[row:row + 1, :n])[2]))
    save_safetensors(os.path.join(folder, "model.safetensors"), dict(model.state_dict()), {"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    reference = {"input_ids": input_ids.tolist(), "attention_mask": attention_mask.tolist(),
                 "token_type_ids": token_type_ids.tolist(), "last_hidden_state": rounded(hidden),
                 "last_hidden_state_shape": list(hidden.shape), "pooled_output": rounded(pooled),
                 "logits": rounded(logits), "row_logits": row_logits,
                 "relative_positions": build_relative_position(12, 12, config.get("position_buckets", -1),
                                                               max_relative_positions(config))[0].tolist()}
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(reference, f)


def published_v3_config(hidden, heads, intermediate):
    """microsoft/deberta-v3-{base,xsmall}/config.json (transformers_version 4.x on the hub)."""
    return {"model_type": "deberta-v2", "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1, "hidden_size": hidden, "initializer_range": 0.02,
            "intermediate_size": intermediate, "max_position_embeddings": 512, "relative_attention": True,
            "position_buckets": 256, "norm_rel_ebd": "layer_norm", "share_att_key": True, "pos_att_type": "p2c|c2p",
            "layer_norm_eps": 1e-7, "max_relative_positions": -1, "position_biased_input": False,
            "num_attention_heads": heads, "num_hidden_layers": 12, "type_vocab_size": 0, "vocab_size": 128100}


def write_published_header(name, config):
    with open(os.path.join(OUT, name + ".config.json"), "w") as f:
        json.dump(config, f, indent=2)
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    dtypes = {torch.float32: ("F32", 4), torch.int64: ("I64", 8)}
    model = DebertaV2Model(config)  # 0.7 GB for base, for a few seconds: only the shapes are kept
    for key, tensor in sorted(model.state_dict().items()):
        dtype, size = dtypes[tensor.dtype]
        length = size * tensor.numel()
        header["deberta." + key] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + length]}
        offset += length
    with open(os.path.join(OUT, name + ".header.json"), "w") as f:
        json.dump(header, f, indent=1)


if __name__ == "__main__":
    write_published_header("deberta-v3-base", published_v3_config(768, 12, 3072))
    write_published_header("deberta-v3-xsmall", published_v3_config(384, 6, 1536))
    write_model("deberta-v3", v3_config(), 14)
    write_model("deberta-v2", v2_config(), 15)
    write_model("deberta-c2p", c2p_config(), 16)
