using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sentio.IO;

namespace Sentio.Text;

/// <summary>Settings of a RoBERTa / GPT-2 byte-level BPE tokenizer, as in tokenizer_config.json.</summary>
public sealed record ByteLevelBpeOptions
{
    /// <summary>Treat the text as if it began with a space (so the first word is encoded like any other). Default false, as Hugging Face.</summary>
    public bool AddPrefixSpace { get; init; }
    /// <summary>Longest encoding, special tokens included. Default 512.</summary>
    public int ModelMaxLength { get; init; } = 512;
    public string BosToken { get; init; } = "<s>";
    public string EosToken { get; init; } = "</s>";
    public string PadToken { get; init; } = "<pad>";
    public string UnkToken { get; init; } = "<unk>";
    public string MaskToken { get; init; } = "<mask>";
}

/// <summary>Hugging Face's RobertaTokenizer: GPT-2 pre-tokenisation regex, every UTF-8 byte mapped to a printable character
/// (bytes_to_unicode), then BPE merges in rank order; encodings are &lt;s&gt; … &lt;/s&gt; and padding uses the &lt;pad&gt; id (1 for RoBERTa).
/// Special tokens written in the text stay whole.</summary>
public sealed partial class ByteLevelBpeTokenizer : ITransformerTokenizer
{
    public const string VocabFile = "vocab.json";
    public const string MergesFile = "merges.txt";

    private readonly Dictionary<string, int> vocabulary;
    private readonly List<(string First, string Second)> merges;
    private readonly Dictionary<(string, string), int> ranks = new();
    private readonly ByteLevelBpeOptions options;
    private readonly string[] specialTokens;
    private readonly int bosId, eosId, padId, unkId;
    private static readonly string[] ByteToChar = BytesToUnicode();
    /// <summary>Words already split, as Hugging Face's tokenizer caches them; cleared when full.</summary>
    private readonly Dictionary<string, List<string>> cache = new(StringComparer.Ordinal);
    private const int MaxCachedWords = 100_000;

    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex PreTokenizer();

    /// <summary>A tokenizer from a token → id map and the ordered merge list (rank = position).</summary>
    /// <exception cref="SentioException">A special token or a merge result is not in the vocabulary.</exception>
    public ByteLevelBpeTokenizer(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<(string First, string Second)> merges,
        ByteLevelBpeOptions options, string source = "vocabulary")
    {
        this.vocabulary = new Dictionary<string, int>(vocabulary, StringComparer.Ordinal);
        this.merges = [.. merges];
        this.options = options;
        for (int i = 0; i < merges.Count; i++) ranks.TryAdd(merges[i], i);
        int Id(string token) => this.vocabulary.TryGetValue(token, out int id) ? id
            : throw new SentioException($"{source}: special token '{token}' is not in the vocabulary");
        bosId = Id(options.BosToken);
        eosId = Id(options.EosToken);
        padId = Id(options.PadToken);
        unkId = Id(options.UnkToken);
        specialTokens = new[] { options.BosToken, options.EosToken, options.PadToken, options.UnkToken, options.MaskToken }
            .Where(this.vocabulary.ContainsKey).Distinct().OrderByDescending(t => t.Length).ToArray();
    }

    /// <summary>Reads vocab.json, merges.txt and, if present, tokenizer_config.json (add_prefix_space, model_max_length).</summary>
    /// <exception cref="SentioException">A file is missing or malformed (merges.txt errors name the line).</exception>
    public static ByteLevelBpeTokenizer FromFolder(string folder)
    {
        string vocabPath = Path.Combine(folder, VocabFile), mergesPath = Path.Combine(folder, MergesFile);
        foreach (string path in new[] { vocabPath, mergesPath })
            if (!File.Exists(path)) throw new SentioException($"{path}: not found");
        Dictionary<string, int> vocabulary;
        try { vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath)) ?? []; }
        catch (JsonException e) { throw new SentioException($"{vocabPath}: not a token → id JSON object: {e.Message}", e); }
        var merges = new List<(string, string)>();
        var lines = File.ReadAllLines(mergesPath, Encoding.UTF8);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("#version", StringComparison.Ordinal) || lines[i].Length == 0) continue;
            var parts = lines[i].Split(' ');
            if (parts.Length != 2) throw SentioException.At(mergesPath, i + 1, $"expected two tokens separated by one space, got '{lines[i]}'");
            merges.Add((parts[0], parts[1]));
        }
        var options = new ByteLevelBpeOptions();
        string configPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            try
            {
                var json = JsonNode.Parse(File.ReadAllText(configPath))?.AsObject() ?? new JsonObject();
                options = options with
                {
                    AddPrefixSpace = json["add_prefix_space"]?.GetValue<bool>() ?? false,
                    ModelMaxLength = TokenizerConfigJson.ModelMaxLength(json, options.ModelMaxLength),
                };
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new SentioException($"{configPath}: {e.Message}", e);
            }
        }
        return new ByteLevelBpeTokenizer(vocabulary, merges, options, vocabPath);
    }

    public int PadTokenId => padId;
    public int ModelMaxLength => options.ModelMaxLength;

    /// <summary>The BPE tokens of <paramref name="text"/> in byte-level form (space shown as Ġ), without &lt;s&gt;/&lt;/s&gt;.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length;)
        {
            string? special = specialTokens.FirstOrDefault(t => string.CompareOrdinal(text, i, t, 0, t.Length) == 0);
            if (special is null) { i++; continue; }
            // Hugging Face's <mask> is an AddedToken with lstrip=True: it absorbs the spaces before it.
            string before = special == options.MaskToken ? text[start..i].TrimEnd() : text[start..i];
            AddTokens(before, start == 0, tokens);
            tokens.Add(special);
            i += special.Length;
            start = i;
        }
        AddTokens(text[start..], start == 0, tokens);
        return tokens;
    }

    /// <summary>&lt;s&gt; ids &lt;/s&gt;, the text's tokens cut so that the whole fits <paramref name="maxLength"/> (≥ 2).</summary>
    public EncodedText Encode(string text, int? maxLength = null) =>
        EncodedText.Single(bosId, Tokenize(text).Select(t => vocabulary.TryGetValue(t, out int id) ? id : unkId), eosId, maxLength ?? options.ModelMaxLength);

    public EncodedBatch EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null) =>
        EncodedBatch.Pad(texts.Select(t => Encode(t, maxLength)).ToList(), padId);

    /// <summary>Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var vocab = new JsonObject();
        foreach (var (token, id) in vocabulary.OrderBy(p => p.Value)) vocab[token] = id;
        AtomicFile.WriteText(Path.Combine(folder, VocabFile), vocab.ToJsonString());
        AtomicFile.WriteText(Path.Combine(folder, MergesFile), "#version: 0.2\n" + string.Concat(merges.Select(m => $"{m.First} {m.Second}\n")));
        var specials = new JsonObject
        {
            ["bos_token"] = options.BosToken, ["eos_token"] = options.EosToken, ["sep_token"] = options.EosToken,
            ["cls_token"] = options.BosToken, ["unk_token"] = options.UnkToken, ["pad_token"] = options.PadToken,
            ["mask_token"] = options.MaskToken,
        };
        var config = (JsonObject)specials.DeepClone();
        config["tokenizer_class"] = "RobertaTokenizer";
        config["add_prefix_space"] = options.AddPrefixSpace;
        config["model_max_length"] = options.ModelMaxLength;
        var indented = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString(indented));
        AtomicFile.WriteText(Path.Combine(folder, "special_tokens_map.json"), specials.ToJsonString(indented));
    }

    private void AddTokens(string text, bool atStart, List<string> tokens)
    {
        if (text.Length == 0) return;
        if (options.AddPrefixSpace && atStart && !char.IsWhiteSpace(text[0])) text = " " + text;
        foreach (Match match in PreTokenizer().Matches(text))
        {
            var mapped = string.Concat(Encoding.UTF8.GetBytes(match.Value).Select(b => ByteToChar[b]));
            tokens.AddRange(Bpe(mapped));
        }
    }

    /// <summary>RobertaTokenizer.bpe: repeatedly merge the lowest-ranked adjacent pair, every occurrence left to right.</summary>
    private IReadOnlyList<string> Bpe(string token)
    {
        lock (cache)
            if (cache.TryGetValue(token, out var cached)) return cached;
        var word = token.EnumerateRunes().Select(r => r.ToString()).ToList();
        while (word.Count > 1)
        {
            int bestRank = int.MaxValue;
            (string, string) best = default;
            for (int i = 0; i < word.Count - 1; i++)
                if (ranks.TryGetValue((word[i], word[i + 1]), out int rank) && rank < bestRank) { bestRank = rank; best = (word[i], word[i + 1]); }
            if (bestRank == int.MaxValue) break;
            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count; i++)
            {
                if (i < word.Count - 1 && word[i] == best.Item1 && word[i + 1] == best.Item2) { merged.Add(best.Item1 + best.Item2); i++; }
                else merged.Add(word[i]);
            }
            word = merged;
        }
        lock (cache)
        {
            if (cache.Count >= MaxCachedWords) cache.Clear();
            cache[token] = word;
        }
        return word;
    }

    /// <summary>GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards.</summary>
    private static string[] BytesToUnicode()
    {
        var map = new string[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? ((char)b).ToString() : ((char)(256 + next++)).ToString();
        }
        return map;
    }
}
