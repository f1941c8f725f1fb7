using System.Text;
using Sentio.IO;

namespace Sentio.Text;

/// <summary>A word ↔ id map built from training texts: id 0 is <c>&lt;pad&gt;</c>, id 1 is <c>&lt;unk&gt;</c>, then
/// words by descending frequency (ties in ordinal order). Saved as a text file, one token per line, line n = id n.</summary>
public sealed class Vocabulary
{
    public const string Padding = "<pad>";
    public const string Unknown = "<unk>";
    public const int PaddingId = 0;
    public const int UnknownId = 1;

    private readonly string[] tokens;
    private readonly Dictionary<string, int> ids;

    private Vocabulary(string[] tokens)
    {
        this.tokens = tokens;
        ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) ids[tokens[i]] = i;
    }

    /// <summary>Tokens including the two special ones.</summary>
    public int Count => tokens.Length;

    public IReadOnlyList<string> Tokens => tokens;

    /// <summary>Words seen at least <paramref name="minFrequency"/> times in <paramref name="tokenizedTexts"/>,
    /// the most frequent first, at most <paramref name="maxSize"/> tokens in all (specials included).</summary>
    public static Vocabulary Build(IEnumerable<IReadOnlyList<string>> tokenizedTexts, int minFrequency, int maxSize)
    {
        if (maxSize < 3) throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "a vocabulary needs room for <pad>, <unk> and a word");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in tokenizedTexts)
            foreach (string token in text)
                counts[token] = counts.GetValueOrDefault(token) + 1;
        var words = counts.Where(c => c.Value >= minFrequency && c.Key != Padding && c.Key != Unknown)
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(maxSize - 2).Select(c => c.Key);
        return new Vocabulary([Padding, Unknown, .. words]);
    }

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnknownId"/>.</summary>
    public int IdOf(string token) => ids.GetValueOrDefault(token, UnknownId);

    public bool Contains(string token) => ids.ContainsKey(token);

    public void Save(string path) => AtomicFile.WriteText(path, string.Join('\n', tokens) + "\n");

    /// <summary>Reads a file written by <see cref="Save"/>.</summary>
    public static Vocabulary Load(string path)
    {
        string[] lines = File.ReadAllLines(path, Encoding.UTF8);
        if (lines.Length < 2 || lines[0] != Padding || lines[1] != Unknown)
            throw SentioException.At(path, 1, $"a vocabulary file starts with '{Padding}' and '{Unknown}' on lines 1 and 2");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
            if (lines[i].Length == 0 || !seen.Add(lines[i]))
                throw SentioException.At(path, i + 1, lines[i].Length == 0 ? "empty token" : $"token '{lines[i]}' appears twice");
        return new Vocabulary(lines);
    }
}
