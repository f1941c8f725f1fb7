using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;
using Sentio.IO;

namespace Sentio.Text;

/// <summary>Settings of a DeBERTa-v2/v3 tokenizer, as in Hugging Face's tokenizer_config.json.</summary>
public sealed record DebertaV2TokenizerOptions
{
    /// <summary><c>do_lower_case</c>: python's str.lower() before SentencePiece (false for v3). Default false.</summary>
    public bool DoLowerCase { get; init; }
    /// <summary><c>split_by_punct</c>: each punctuation character is encoded on its own (false for v3). Default false.</summary>
    public bool SplitByPunct { get; init; }
    /// <summary>The longest encoding, special tokens included. Default 512.</summary>
    public int ModelMaxLength { get; init; } = 512;
    public string ClsToken { get; init; } = "[CLS]";
    public string SepToken { get; init; } = "[SEP]";
    public string PadToken { get; init; } = "[PAD]";
    public string UnkToken { get; init; } = "[UNK]";
    public string MaskToken { get; init; } = "[MASK]";
}

/// <summary>Hugging Face's (slow) DebertaV2Tokenizer: a SentencePiece unigram model (<c>spm.model</c>) with
/// <c>[CLS] … [SEP]</c> around each text, special ids taken from the model and <c>added_tokens.json</c> (<c>[MASK]</c>),
/// special tokens written in a text kept whole, optional lowercasing and punctuation splitting.</summary>
/// <remarks>The SentencePiece part is Microsoft.ML.Tokenizers' SentencePieceTokenizer, which reproduces
/// python-sentencepiece's ids on the committed fixtures (normalisation included) except for runs of unknown characters
/// (see <see cref="AddPieceIds"/>). What Hugging Face adds around it —
/// splitting on special tokens, str.lower(), split_by_punct, [CLS]/[SEP] and truncation — has no library equivalent
/// and is written here.</remarks>
public sealed class DebertaV2Tokenizer : ITransformerTokenizer
{
    public const string ModelFile = "spm.model";
    public const string AddedTokensFile = "added_tokens.json";
    public const string ConfigFile = "tokenizer_config.json";
    public const string SpecialTokensFile = "special_tokens_map.json";

    private readonly byte[] model;
    private readonly SentencePieceTokenizer pieces;
    private readonly IReadOnlyDictionary<string, int> addedTokens;
    private readonly DebertaV2TokenizerOptions options;
    private readonly Dictionary<string, int> specialIds;
    private readonly string[] specialTokens;
    private readonly int clsId, sepId, padId;

    /// <summary>A tokenizer over the serialized SentencePiece <paramref name="model"/> and the extra tokens of
    /// <c>added_tokens.json</c> (token → id); <paramref name="source"/> names the model in errors.</summary>
    /// <exception cref="SentioException">The model cannot be read, or a special token is neither a piece nor an added token.</exception>
    public DebertaV2Tokenizer(byte[] model, IReadOnlyDictionary<string, int> addedTokens, DebertaV2TokenizerOptions options, string source = ModelFile)
    {
        this.model = model;
        this.addedTokens = addedTokens;
        this.options = options;
        try
        {
            using var stream = new MemoryStream(model, writable: false);
            pieces = SentencePieceTokenizer.Create(stream, false, false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or NotSupportedException
            or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new SentioException($"{source}: not a SentencePiece model: {e.Message}", e);
        }
        int Id(string token) => addedTokens.TryGetValue(token, out int added) ? added
            : pieces.Vocabulary.TryGetValue(token, out int id) ? id
            : throw new SentioException($"{source}: special token '{token}' is neither a piece of the model nor in {AddedTokensFile}");
        specialIds = new[] { options.ClsToken, options.SepToken, options.PadToken, options.UnkToken, options.MaskToken }
            .Distinct().ToDictionary(t => t, Id, StringComparer.Ordinal);
        foreach (var (token, id) in addedTokens) specialIds.TryAdd(token, id);
        specialTokens = specialIds.Keys.OrderByDescending(t => t.Length).ToArray();
        clsId = specialIds[options.ClsToken];
        sepId = specialIds[options.SepToken];
        padId = specialIds[options.PadToken];
    }

    /// <summary>Reads <c>spm.model</c>, and if present <c>added_tokens.json</c> and <c>tokenizer_config.json</c>
    /// (do_lower_case, split_by_punct, model_max_length, special tokens), from a Hugging Face folder.</summary>
    /// <exception cref="SentioException">A missing spm.model or an invalid JSON file (message names it).</exception>
    public static DebertaV2Tokenizer FromFolder(string folder)
    {
        string modelPath = Path.Combine(folder, ModelFile);
        if (!File.Exists(modelPath)) throw new SentioException($"{modelPath}: not found");
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        string addedPath = Path.Combine(folder, AddedTokensFile);
        if (File.Exists(addedPath))
            foreach (var (token, id) in ReadObject(addedPath))
                added[token] = id is JsonValue value && value.TryGetValue(out int number) ? number
                    : throw new SentioException($"{addedPath}: the id of '{token}' is not an integer");
        string configPath = Path.Combine(folder, ConfigFile);
        var options = File.Exists(configPath) ? ReadOptions(configPath) : new DebertaV2TokenizerOptions();
        return new DebertaV2Tokenizer(File.ReadAllBytes(modelPath), added, options, modelPath);
    }

    public int PadTokenId => padId;
    public int ModelMaxLength => options.ModelMaxLength;
    public DebertaV2TokenizerOptions Options => options;

    /// <summary>The ids of <paramref name="text"/> without [CLS]/[SEP]: special tokens whole (whitespace beside them
    /// dropped, as PreTrainedTokenizer.tokenize does), every other stretch lowercased if asked, split at punctuation if
    /// asked, and encoded by SentencePiece (pieces outside the vocabulary are [UNK]).</summary>
    public IReadOnlyList<int> TokenIds(string text)
    {
        var ids = new List<int>();
        var parts = SplitOnSpecialTokens(text);
        for (int k = 0; k < parts.Count; k++)
        {
            var (chunk, special) = parts[k];
            if (special) { ids.Add(specialIds[chunk]); continue; }
            if (k > 0) chunk = chunk.TrimStart();
            if (k + 1 < parts.Count) chunk = chunk.TrimEnd();
            if (chunk.Length == 0) continue;
            if (options.DoLowerCase) chunk = WordPieceTokenizer.PythonLower(chunk);
            foreach (string word in options.SplitByPunct ? SplitOnPunctuation(chunk) : [chunk])
                AddPieceIds(word, ids);
        }
        return ids;
    }

    /// <summary>SentencePiece's ids of one stretch. python-sentencepiece merges a run of unknown characters into one
    /// unknown piece (one [UNK]); Microsoft.ML.Tokenizers 2.0.1 gives one unknown id per character, so runs are
    /// collapsed here — the one place where it differs from the reference on the fixtures.</summary>
    private void AddPieceIds(string text, List<int> ids)
    {
        bool previousUnknown = false;
        foreach (int id in pieces.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false))
        {
            bool unknown = id == pieces.UnknownId;
            if (!(unknown && previousUnknown)) ids.Add(id);
            previousUnknown = unknown;
        }
    }

    /// <summary>[CLS] ids [SEP], the ids cut from the end so that the whole fits <paramref name="maxLength"/> (≥ 2).</summary>
    public EncodedText Encode(string text, int? maxLength = null) =>
        EncodedText.Single(clsId, TokenIds(text), sepId, maxLength ?? options.ModelMaxLength);

    public EncodedBatch EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null) =>
        EncodedBatch.Pad(texts.Select(t => Encode(t, maxLength)).ToList(), padId);

    /// <summary>Writes spm.model, added_tokens.json, tokenizer_config.json and special_tokens_map.json as Hugging Face's
    /// DebertaV2Tokenizer reads them.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.Write(Path.Combine(folder, ModelFile), stream => stream.Write(model));
        var indented = new JsonSerializerOptions { WriteIndented = true };
        var added = new JsonObject(addedTokens.OrderBy(p => p.Value).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        AtomicFile.WriteText(Path.Combine(folder, AddedTokensFile), added.ToJsonString(indented));
        var specials = new JsonObject
        {
            ["bos_token"] = options.ClsToken, ["eos_token"] = options.SepToken, ["unk_token"] = options.UnkToken,
            ["sep_token"] = options.SepToken, ["pad_token"] = options.PadToken, ["cls_token"] = options.ClsToken,
            ["mask_token"] = options.MaskToken,
        };
        var config = (JsonObject)specials.DeepClone();
        config["tokenizer_class"] = "DebertaV2Tokenizer";
        config["do_lower_case"] = options.DoLowerCase;
        config["split_by_punct"] = options.SplitByPunct;
        config["vocab_type"] = "spm";
        config["model_max_length"] = options.ModelMaxLength;
        AtomicFile.WriteText(Path.Combine(folder, ConfigFile), config.ToJsonString(indented));
        AtomicFile.WriteText(Path.Combine(folder, SpecialTokensFile), specials.ToJsonString(indented));
    }

    /// <summary>The text cut at special tokens, longest first: (stretch, false) and (token, true) in order.</summary>
    private List<(string Text, bool Special)> SplitOnSpecialTokens(string text)
    {
        var parts = new List<(string, bool)>();
        int start = 0;
        for (int i = 0; i < text.Length;)
        {
            string? special = text[i] == '[' || specialTokens.Any(t => t[0] == text[i])
                ? specialTokens.FirstOrDefault(t => string.CompareOrdinal(text, i, t, 0, t.Length) == 0) : null;
            if (special is null) { i++; continue; }
            parts.Add((text[start..i], false));
            parts.Add((special, true));
            i += special.Length;
            start = i;
        }
        parts.Add((text[start..], false));
        return parts;
    }

    /// <summary>SPMTokenizer._run_split_on_punc: every punctuation character alone, the text between kept whole.</summary>
    private static List<string> SplitOnPunctuation(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (WordPieceTokenizer.IsPunctuation(rune))
            {
                if (current.Length > 0) words.Add(current.ToString());
                current.Clear();
                words.Add(rune.ToString());
            }
            else current.Append(rune.ToString());
        }
        if (current.Length > 0) words.Add(current.ToString());
        return words;
    }

    private static JsonObject ReadObject(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new SentioException($"{path}: empty"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new SentioException($"{path}: invalid JSON: {e.Message}", e); }
    }

    private static DebertaV2TokenizerOptions ReadOptions(string path)
    {
        var json = ReadObject(path);
        var defaults = new DebertaV2TokenizerOptions();
        try
        {
            return new DebertaV2TokenizerOptions
            {
                DoLowerCase = json["do_lower_case"]?.GetValue<bool>() ?? defaults.DoLowerCase,
                SplitByPunct = json["split_by_punct"]?.GetValue<bool>() ?? defaults.SplitByPunct,
                ModelMaxLength = TokenizerConfigJson.ModelMaxLength(json, defaults.ModelMaxLength),
                ClsToken = TokenizerConfigJson.TokenString(json["cls_token"]) ?? defaults.ClsToken,
                SepToken = TokenizerConfigJson.TokenString(json["sep_token"]) ?? defaults.SepToken,
                PadToken = TokenizerConfigJson.TokenString(json["pad_token"]) ?? defaults.PadToken,
                UnkToken = TokenizerConfigJson.TokenString(json["unk_token"]) ?? defaults.UnkToken,
                MaskToken = TokenizerConfigJson.TokenString(json["mask_token"]) ?? defaults.MaskToken,
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new SentioException($"{path}: unexpected value type: {e.Message}", e);
        }
    }
}
