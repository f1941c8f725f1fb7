using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sentio.IO;

namespace Sentio.Text;

/// <summary>Settings of a BERT WordPiece tokenizer, as in Hugging Face's tokenizer_config.json.</summary>
public sealed record WordPieceOptions
{
    /// <summary>Lowercase and strip accents (uncased vocabularies). Default true.</summary>
    public bool DoLowerCase { get; init; } = true;
    /// <summary>Strip accents: null follows <see cref="DoLowerCase"/>, as Hugging Face does. Default null.</summary>
    public bool? StripAccents { get; init; }
    /// <summary>Put spaces around CJK ideographs so each is a word. Default true.</summary>
    public bool TokenizeChineseChars { get; init; } = true;
    /// <summary>Longer words (in code points) become the unknown token. Default 100.</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;
    /// <summary>Longest encoding, special tokens included. Default 512.</summary>
    public int ModelMaxLength { get; init; } = 512;
    public string UnkToken { get; init; } = "[UNK]";
    public string ClsToken { get; init; } = "[CLS]";
    public string SepToken { get; init; } = "[SEP]";
    public string PadToken { get; init; } = "[PAD]";
    public string MaskToken { get; init; } = "[MASK]";
}

/// <summary>Hugging Face's BertTokenizer (BasicTokenizer + WordpieceTokenizer) in C#: text cleaning (control characters,
/// U+0000 and U+FFFD removed, whitespace unified), CJK ideographs split, lowercasing and accent stripping (python's
/// str.lower and NFD, from <see cref="UnicodeTables"/>), punctuation split, then greedy longest-match WordPiece with
/// <c>##</c> continuations; a word with an unknown piece, or longer than 100 code points, is one [UNK]. Characters outside
/// the BMP (emoji) are kept as characters, so they become [UNK] as in Hugging Face. Special tokens written in the text
/// ([CLS], [SEP], [PAD], [MASK], [UNK]) stay whole.
/// Where Hugging Face's slow tokenizer NFC-composes cased text first, this one (like the fast tokenizer) does not.</summary>
public sealed class WordPieceTokenizer : ITransformerTokenizer
{
    public const string VocabFile = "vocab.txt";
    public const string ConfigFile = "tokenizer_config.json";
    public const string SpecialTokensFile = "special_tokens_map.json";

    private readonly string[] vocabulary;
    private readonly Dictionary<string, int> ids;
    /// <summary>Span lookups of whole tokens and of <c>##</c> tokens without their prefix (no string per candidate).</summary>
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> wordStarts, continuations;
    private readonly string[] specialTokens;
    private readonly HashSet<char> specialStarts;
    private readonly WordPieceOptions options;
    private readonly int unkId, clsId, sepId, padId;

    /// <summary>A tokenizer over <paramref name="vocabulary"/> (token at index i has id i).</summary>
    /// <exception cref="SentioException">A special token is not in the vocabulary, or a token appears twice.</exception>
    public WordPieceTokenizer(IReadOnlyList<string> vocabulary, WordPieceOptions options, string source = "vocabulary")
    {
        this.vocabulary = [.. vocabulary];
        this.options = options;
        ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < this.vocabulary.Length; i++)
            if (!ids.TryAdd(this.vocabulary[i], i))
                throw SentioException.At(source, i + 1, $"token '{this.vocabulary[i]}' already appeared on line {ids[this.vocabulary[i]] + 1}");
        wordStarts = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        continuations = ids.Where(p => p.Key.StartsWith("##", StringComparison.Ordinal) && p.Key.Length > 2)
            .ToDictionary(p => p.Key[2..], p => p.Value, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        int Id(string token) => ids.TryGetValue(token, out int id) ? id
            : throw new SentioException($"{source}: special token '{token}' is not in the vocabulary");
        unkId = Id(options.UnkToken);
        clsId = Id(options.ClsToken);
        sepId = Id(options.SepToken);
        padId = Id(options.PadToken);
        specialTokens = new[] { options.UnkToken, options.ClsToken, options.SepToken, options.PadToken, options.MaskToken }
            .Where(ids.ContainsKey).Distinct().OrderByDescending(t => t.Length).ToArray();
        specialStarts = specialTokens.Select(t => t[0]).ToHashSet();
    }

    /// <summary>Reads <c>vocab.txt</c> (one token per line) and, if present, <c>tokenizer_config.json</c> (do_lower_case,
    /// strip_accents, tokenize_chinese_chars, model_max_length, special tokens) from a Hugging Face folder.</summary>
    /// <exception cref="SentioException">Missing vocab.txt or an invalid tokenizer_config.json.</exception>
    public static WordPieceTokenizer FromFolder(string folder)
    {
        string vocabPath = Path.Combine(folder, VocabFile);
        if (!File.Exists(vocabPath)) throw new SentioException($"{vocabPath}: not found");
        var options = new WordPieceOptions();
        string configPath = Path.Combine(folder, ConfigFile);
        if (File.Exists(configPath)) options = ReadOptions(configPath);
        return new WordPieceTokenizer(ReadVocabulary(vocabPath), options, vocabPath);
    }

    /// <summary>The lines of a <c>vocab.txt</c> (line n is id n-1).</summary>
    public static string[] ReadVocabulary(string path)
    {
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        return lines.Select(l => l.TrimEnd('\r')).ToArray();
    }

    public int PadTokenId => padId;
    public int ModelMaxLength => options.ModelMaxLength;
    public int VocabularySize => vocabulary.Length;
    public WordPieceOptions Options => options;

    /// <summary>Id of <paramref name="token"/>, or the [UNK] id.</summary>
    public int TokenToId(string token) => ids.TryGetValue(token, out int id) ? id : unkId;

    public string IdToToken(int id) => vocabulary[id];

    /// <summary>The word pieces of <paramref name="text"/>, without [CLS]/[SEP].</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var pieces = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length;)
        {
            string? special = specialStarts.Contains(text[i])
                ? specialTokens.FirstOrDefault(t => string.CompareOrdinal(text, i, t, 0, t.Length) == 0) : null;
            if (special is null) { i++; continue; }
            AddPieces(text[start..i], pieces);
            pieces.Add(special);
            i += special.Length;
            start = i;
        }
        AddPieces(text[start..], pieces);
        return pieces;
    }

    /// <summary>[CLS] pieces [SEP] as ids, the pieces cut so that the whole fits <paramref name="maxLength"/> (≥ 2).</summary>
    public EncodedText Encode(string text, int? maxLength = null) =>
        EncodedText.Single(clsId, Tokenize(text).Select(TokenToId), sepId, maxLength ?? options.ModelMaxLength);

    public EncodedBatch EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null) =>
        EncodedBatch.Pad(texts.Select(t => Encode(t, maxLength)).ToList(), padId);

    /// <summary>Writes vocab.txt, tokenizer_config.json and special_tokens_map.json as Hugging Face's BertTokenizer reads them.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteText(Path.Combine(folder, VocabFile), string.Join("\n", vocabulary) + "\n");
        var specials = new JsonObject
        {
            ["unk_token"] = options.UnkToken, ["sep_token"] = options.SepToken, ["pad_token"] = options.PadToken,
            ["cls_token"] = options.ClsToken, ["mask_token"] = options.MaskToken,
        };
        var config = (JsonObject)specials.DeepClone();
        config["tokenizer_class"] = "BertTokenizer";
        config["do_lower_case"] = options.DoLowerCase;
        config["strip_accents"] = options.StripAccents;
        config["tokenize_chinese_chars"] = options.TokenizeChineseChars;
        config["model_max_length"] = options.ModelMaxLength;
        var indented = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteText(Path.Combine(folder, ConfigFile), config.ToJsonString(indented));
        AtomicFile.WriteText(Path.Combine(folder, SpecialTokensFile), specials.ToJsonString(indented));
    }

    private static WordPieceOptions ReadOptions(string path)
    {
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? new JsonObject(); }
        catch (JsonException e) { throw new SentioException($"{path}: invalid JSON: {e.Message}", e); }
        var defaults = new WordPieceOptions();
        try
        {
            return new WordPieceOptions
            {
                DoLowerCase = json["do_lower_case"]?.GetValue<bool>() ?? defaults.DoLowerCase,
                StripAccents = json["strip_accents"]?.GetValue<bool>(),
                TokenizeChineseChars = json["tokenize_chinese_chars"]?.GetValue<bool>() ?? defaults.TokenizeChineseChars,
                ModelMaxLength = TokenizerConfigJson.ModelMaxLength(json, defaults.ModelMaxLength),
                UnkToken = TokenizerConfigJson.TokenString(json["unk_token"]) ?? defaults.UnkToken,
                ClsToken = TokenizerConfigJson.TokenString(json["cls_token"]) ?? defaults.ClsToken,
                SepToken = TokenizerConfigJson.TokenString(json["sep_token"]) ?? defaults.SepToken,
                PadToken = TokenizerConfigJson.TokenString(json["pad_token"]) ?? defaults.PadToken,
                MaskToken = TokenizerConfigJson.TokenString(json["mask_token"]) ?? defaults.MaskToken,
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new SentioException($"{path}: unexpected value type: {e.Message}", e);
        }
    }

    private void AddPieces(string text, List<string> pieces)
    {
        foreach (string word in BasicTokenize(text))
            WordPiece(word, pieces);
    }

    /// <summary>BasicTokenizer.tokenize: clean, split CJK, whitespace-split, lowercase + strip accents, split punctuation.</summary>
    private IEnumerable<string> BasicTokenize(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (rune.Value == 0 || rune.Value == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) cleaned.Append(' ');
            else if (options.TokenizeChineseChars && IsChineseChar(rune.Value)) Append(cleaned.Append(' '), rune).Append(' ');
            else Append(cleaned, rune);
        }
        bool stripAccents = options.StripAccents ?? options.DoLowerCase;
        foreach (string original in cleaned.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            string token = original;
            if (options.DoLowerCase) token = PythonLower(token);
            if (stripAccents) token = StripAccents(token);
            foreach (string piece in SplitOnPunctuation(token)) yield return piece;
        }
    }

    private static IEnumerable<string> SplitOnPunctuation(string token)
    {
        var current = new StringBuilder();
        foreach (Rune rune in token.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (current.Length > 0) { yield return current.ToString(); current.Clear(); }
                yield return rune.ToString();
            }
            else Append(current, rune);
        }
        if (current.Length > 0) yield return current.ToString();
    }

    /// <summary>WordpieceTokenizer.tokenize for one word: greedy longest match, <c>##</c> for continuations.</summary>
    private void WordPiece(string word, List<string> pieces)
    {
        // Char offset of each code point, so that candidates are cut at code point boundaries.
        var offsets = new List<int>(word.Length + 1);
        for (int i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1) offsets.Add(i);
        int count = offsets.Count;
        offsets.Add(word.Length);
        if (count > options.MaxInputCharsPerWord) { pieces.Add(options.UnkToken); return; }
        int before = pieces.Count;
        for (int start = 0; start < count;)
        {
            int end = count;
            int id = -1;
            for (; end > start; end--)
            {
                var candidate = word.AsSpan(offsets[start], offsets[end] - offsets[start]);
                if ((start == 0 ? wordStarts : continuations).TryGetValue(candidate, out id)) break;
            }
            if (end == start)
            {
                pieces.RemoveRange(before, pieces.Count - before);
                pieces.Add(options.UnkToken);
                return;
            }
            pieces.Add(vocabulary[id]);
            start = end;
        }
    }

    private static StringBuilder Append(StringBuilder builder, Rune rune)
    {
        Span<char> buffer = stackalloc char[2];
        return builder.Append(buffer[..rune.EncodeToUtf16(buffer)]);
    }

    private static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    private static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>ASCII 33–47, 58–64, 91–96, 123–126 (so ^ $ ` count) and every Unicode P* category.</summary>
    internal static bool IsPunctuation(Rune rune)
    {
        int cp = rune.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static bool IsChineseChar(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    private static readonly Dictionary<int, string> LowercaseMap = ParseTable(UnicodeTables.Lowercase);
    private static readonly Dictionary<int, string> DecompositionMap = ParseTable(UnicodeTables.Decomposition);

    private static Dictionary<int, string> ParseTable(string table)
    {
        var map = new Dictionary<int, string>();
        foreach (string entry in table.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = entry.IndexOf(':');
            int key = int.Parse(entry.AsSpan(0, colon), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            map[key] = string.Concat(entry[(colon + 1)..].Split(' ')
                .Select(h => char.ConvertFromUtf32(int.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture))));
        }
        return map;
    }

    /// <summary>python's str.lower(), including the final-sigma rule (Σ at the end of a word → ς).</summary>
    internal static string PythonLower(string text)
    {
        var runes = text.EnumerateRunes().ToArray();
        var lowered = new StringBuilder(text.Length);
        for (int i = 0; i < runes.Length; i++)
        {
            if (runes[i].Value == 0x03A3 && i > 0 && Rune.IsLetter(runes[i - 1]) && (i + 1 == runes.Length || !Rune.IsLetter(runes[i + 1])))
                lowered.Append('\u03C2');
            else if (LowercaseMap.TryGetValue(runes[i].Value, out string? lower)) lowered.Append(lower);
            else Append(lowered, runes[i]);
        }
        return lowered.ToString();
    }

    /// <summary>NFD (table decomposition, Hangul by formula), then drop non-spacing marks (category Mn).</summary>
    private static string StripAccents(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp is >= 0xAC00 and <= 0xD7A3)
            {
                // Unicode's Hangul syllable decomposition: L V (T).
                int index = cp - 0xAC00;
                result.Append((char)(0x1100 + index / 588)).Append((char)(0x1161 + index % 588 / 28));
                if (index % 28 != 0) result.Append((char)(0x11A7 + index % 28));
                continue;
            }
            if (!DecompositionMap.TryGetValue(cp, out string? decomposed))
            {
                if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) Append(result, rune);
                continue;
            }
            foreach (Rune part in decomposed.EnumerateRunes())
                if (Rune.GetUnicodeCategory(part) != UnicodeCategory.NonSpacingMark) Append(result, part);
        }
        return result.ToString();
    }
}
