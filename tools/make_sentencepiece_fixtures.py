#!/usr/bin/python3
"""Reference fixtures for Sentio's DeBERTa-v2/v3 SentencePiece tokenizer (src/Sentio/Text/DebertaV2Tokenizer.cs).

What it produces, under tests/Sentio.Tests/Fixtures/transformers/spm/:
  spm.model            a 1000-piece unigram model trained by Debian's spm_train on the first 3000 GoEmotions train
                       texts, with DeBERTa-v3's special pieces: [PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3
  added_tokens.json    {"[MASK]": 1000}, as deberta-v3-base ships {"[MASK]": 128000}
  tokenizer_config.json, special_tokens_map.json   DebertaV2Tokenizer's files (do_lower_case false, split_by_punct false)
  ../spm_cases.json    texts and the ids of Hugging Face's slow DebertaV2Tokenizer for each do_lower_case /
                       split_by_punct setting, and truncated encodings
The transformers package is not installed here, so DebertaV2Tokenizer is transcribed below (tokenization_deberta_v2.py
and PreTrainedTokenizer.tokenize's split on special tokens) over Debian's python3-sentencepiece.

Run from the repository root:  /usr/bin/python3 tools/make_sentencepiece_fixtures.py
(needs Debian's sentencepiece and python3-sentencepiece, and the GoEmotions data in ../shared/data).
"""
import json
import os
import subprocess
import tempfile
import unicodedata

import sentencepiece

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "Sentio.Tests", "Fixtures", "transformers")
GOEMOTIONS = os.path.join(ROOT, "..", "shared", "data", "goemotions", "original", "train.tsv")
SPECIALS = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"]


def train(folder):
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(GOEMOTIONS, encoding="utf-8") as source, open(corpus, "w", encoding="utf-8") as target:
            for i, line in enumerate(source):
                if i == 3000:
                    break
                target.write(line.split("\t")[0] + "\n")
        # Relative paths: the model records its trainer's input and prefix, and the same bytes come out every run.
        subprocess.run(["spm_train", "--input=corpus.txt", "--model_prefix=spm",
                        "--vocab_size=1000", "--model_type=unigram", "--num_threads=1",
                        "--pad_id=0", "--pad_piece=[PAD]", "--bos_id=1", "--bos_piece=[CLS]",
                        "--eos_id=2", "--eos_piece=[SEP]", "--unk_id=3", "--unk_piece=[UNK]",
                        "--minloglevel=2"], check=True, cwd=tmp)
        with open(os.path.join(tmp, "spm.model"), "rb") as f:
            model = f.read()
    with open(os.path.join(folder, "spm.model"), "wb") as f:
        f.write(model)


def is_punctuation(char):
    cp = ord(char)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(char).startswith("P")


def run_split_on_punc(text):
    output = []
    start_new_word = True
    for char in text:
        if is_punctuation(char):
            output.append([char])
            start_new_word = True
        else:
            if start_new_word:
                output.append([])
            start_new_word = False
            output[-1].append(char)
    return ["".join(x) for x in output]


def split_on_special_tokens(text):
    """PreTrainedTokenizer.tokenize: the text is cut at special tokens (longest first), and whitespace next to a special
    token is stripped."""
    parts, start, i = [], 0, 0
    ordered = sorted(SPECIALS, key=len, reverse=True)
    while i < len(text):
        match = next((t for t in ordered if text.startswith(t, i)), None)
        if match is None:
            i += 1
            continue
        parts.append((text[start:i], False))
        parts.append((match, True))
        i += len(match)
        start = i
    parts.append((text[start:], False))
    for k, (chunk, special) in enumerate(parts):
        if special:
            continue
        if k > 0:
            chunk = chunk.lstrip()
        if k + 1 < len(parts):
            chunk = chunk.rstrip()
        parts[k] = (chunk, False)
    return [(c, s) for c, s in parts if c]


def encode(sp, added, text, do_lower_case, split_by_punct, max_length=512):
    vocab = {sp.IdToPiece(i): i for i in range(sp.GetPieceSize())}
    ids = []
    for chunk, special in split_on_special_tokens(text):
        if special:
            ids.append(added[chunk] if chunk in added else vocab[chunk])
            continue
        if do_lower_case:
            chunk = chunk.lower()
        words = run_split_on_punc(chunk) if split_by_punct else [chunk]
        pieces = [p for w in words for p in sp.encode_as_pieces(w)]
        # SPMTokenizer.tokenize: a piece outside the vocabulary is [UNK]; then PieceToId.
        ids.extend(sp.PieceToId(p if p in vocab and p != "<unk>" else "[UNK]") for p in pieces)
    return [vocab["[CLS]"]] + ids[:max_length - 2] + [vocab["[SEP]"]]


CASES = [
    "I love this so much!",
    "Thank you, [NAME]. That's AMAZING news!!!",
    "Café naïve résumé façade Ångström",
    "Crème Brûlée ÉCOLE",
    "I'm so happy 😂😂 ❤️ 👍🏽",
    "日本語のテキスト and 中文 mixed",
    "spaces    between     words",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\nhere",
    "digits 123 4567 3.14159 1,000,000 and 42nd",
    "Ｆｕｌｌｗｉｄｔｈ ﬁ ligature ½ ²",
    "the [MASK] is here and [MASK][SEP] too",
    "don't won't can't y'all",
    "wow...really?!?",
    "ALL CAPS SHOUTING",
    "",
    "   ",
    "e\u0301 combining accent and \u00ad soft hyphen",
]


def main():
    folder = os.path.join(OUT, "spm")
    os.makedirs(folder, exist_ok=True)
    train(folder)
    sp = sentencepiece.SentencePieceProcessor(model_file=os.path.join(folder, "spm.model"))
    assert [sp.IdToPiece(i) for i in range(4)] == ["[PAD]", "[CLS]", "[SEP]", "[UNK]"]
    added = {"[MASK]": sp.GetPieceSize()}
    specials = {"bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "[UNK]", "sep_token": "[SEP]",
                "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}
    with open(os.path.join(folder, "added_tokens.json"), "w") as f:
        json.dump(added, f)
    with open(os.path.join(folder, "special_tokens_map.json"), "w") as f:
        json.dump(specials, f, indent=2)
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(dict(specials, do_lower_case=False, split_by_punct=False, vocab_type="spm",
                       tokenizer_class="DebertaV2Tokenizer", model_max_length=512), f, indent=2)
    cases = []
    for text in CASES:
        for lower in (False, True):
            for punct in (False, True):
                cases.append({"text": text, "do_lower_case": lower, "split_by_punct": punct,
                              "ids": encode(sp, added, text, lower, punct),
                              "pieces": [p for w in (run_split_on_punc(text) if punct else [text])
                                         for p in sp.encode_as_pieces(w.lower() if lower else w)]})
    truncated = [{"text": CASES[1], "max_length": n, "ids": encode(sp, added, CASES[1], False, False, n)} for n in (2, 3, 6)]
    with open(os.path.join(OUT, "spm_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"vocab_size": sp.GetPieceSize(), "cases": cases, "truncated": truncated}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
