using System.Globalization;
using System.Text;

namespace Sentio.Text;

/// <summary>Pretrained word vectors in the GloVe / word2vec text format: one word per line followed by its
/// numbers, separated by spaces; word2vec's first line "count dimension" is recognised and skipped.</summary>
public static class WordVectors
{
    /// <summary>Vectors for <paramref name="vocabulary"/> from <paramref name="path"/>. A word missing from the
    /// file is looked up lowercased before it counts as missing.</summary>
    /// <returns>Rows [vocabulary, dimension] for the words found (null rows for the others) and the coverage:
    /// the share of vocabulary words (specials excluded) that were found.</returns>
    public static (float[]?[] Rows, int Dimension, double Coverage) Load(string path, Vocabulary vocabulary)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: word vector file not found");
        var wanted = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int id = 2; id < vocabulary.Count; id++)
        {
            string word = vocabulary.Tokens[id];
            AddWanted(wanted, word, id);
            string lower = word.ToLowerInvariant();
            if (lower != word) AddWanted(wanted, lower, id);
        }

        var rows = new float[]?[vocabulary.Count];
        var exact = new bool[vocabulary.Count];
        int dimension = 0, lineNumber = 0;
        using var reader = new StreamReader(path, Encoding.UTF8);
        for (string? line; (line = reader.ReadLine()) != null;)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            string[] parts = line.TrimEnd().Split(' ');
            if (lineNumber == 1 && parts.Length == 2 && int.TryParse(parts[0], out _) && int.TryParse(parts[1], out int headerDimension))
            {
                dimension = headerDimension;
                continue;
            }
            if (dimension == 0) dimension = parts.Length - 1;
            if (parts.Length - 1 != dimension)
                throw SentioException.At(path, lineNumber, $"expected a word and {dimension} numbers, got {parts.Length - 1} numbers");
            if (!wanted.TryGetValue(parts[0], out var ids)) continue;
            var vector = new float[dimension];
            for (int k = 0; k < dimension; k++)
                if (!float.TryParse(parts[k + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out vector[k]))
                    throw SentioException.At(path, lineNumber, $"'{parts[k + 1]}' is not a number");
            foreach (int id in ids)
            {
                bool isExact = vocabulary.Tokens[id] == parts[0];
                if (rows[id] != null && (exact[id] || !isExact)) continue; // an exact match beats a lowercased one
                rows[id] = vector;
                exact[id] = isExact;
            }
        }
        if (dimension == 0) throw SentioException.At(path, 1, "no vectors in the file");
        int words = vocabulary.Count - 2;
        int found = rows.Skip(2).Count(r => r != null);
        return (rows, dimension, words == 0 ? 0 : (double)found / words);
    }

    private static void AddWanted(Dictionary<string, List<int>> wanted, string word, int id)
    {
        if (!wanted.TryGetValue(word, out var ids)) wanted[word] = ids = [];
        ids.Add(id);
    }
}
