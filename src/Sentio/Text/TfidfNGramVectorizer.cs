using System.Text.RegularExpressions;

namespace Sentio.Text;

/// <summary>How text is cut into n-grams, as in scikit-learn's <c>TfidfVectorizer(analyzer=...)</c>.</summary>
public enum NGramAnalyzer
{
    /// <summary>Tokens matching <c>\b\w\w+\b</c> (words of two or more word characters), joined by a space into n-grams.</summary>
    Word,

    /// <summary>Character n-grams inside word boundaries: each whitespace-separated word is padded with one
    /// space on each side and cut into n-grams (scikit-learn's <c>char_wb</c>).</summary>
    CharWordBounded,
}

/// <summary>Options of one TF-IDF n-gram block. Defaults follow scikit-learn except where noted.</summary>
public sealed record NGramBlockOptions
{
    public NGramAnalyzer Analyzer { get; init; } = NGramAnalyzer.Word;
    public int MinN { get; init; } = 1;
    public int MaxN { get; init; } = 2;

    /// <summary>Terms found in fewer training texts than this are dropped (scikit-learn's integer <c>min_df</c>).</summary>
    public int MinDocumentFrequency { get; init; } = 2;

    /// <summary>Keep only this many terms, those with the highest document frequency (0: no limit).</summary>
    public int MaxFeatures { get; init; }

    public bool Lowercase { get; init; } = true;

    /// <summary>Use 1 + ln(tf) instead of tf.</summary>
    public bool SublinearTf { get; init; } = true;
}

/// <summary>A TF-IDF vectorizer equal in its arithmetic to scikit-learn's <c>TfidfVectorizer</c> with
/// <c>smooth_idf=True, norm='l2'</c>: idf = ln((1 + n) / (1 + df)) + 1, each row scaled to unit length.
/// Terms are identified by a 64-bit FNV-1a hash of their text instead of the string itself, which keeps
/// fitting allocation-free; with a few million distinct terms a collision has odds of about 1 in 10^7.</summary>
public sealed partial class TfidfNGramVectorizer
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    private readonly Dictionary<ulong, int> termIndex;

    private TfidfNGramVectorizer(NGramBlockOptions options, ulong[] terms, float[] idf)
    {
        Options = options;
        Terms = terms;
        Idf = idf;
        termIndex = new Dictionary<ulong, int>(terms.Length);
        for (int i = 0; i < terms.Length; i++) termIndex[terms[i]] = i;
    }

    public NGramBlockOptions Options { get; }

    /// <summary>Term hashes in feature-column order (ascending).</summary>
    public ulong[] Terms { get; }

    /// <summary>Inverse document frequency per feature column.</summary>
    public float[] Idf { get; }

    public int FeatureCount => Terms.Length;

    /// <summary>The feature column of a term (an n-gram's text as the analyzer produces it, e.g. <c>"so much"</c>
    /// or <c>" lo"</c>), or null when the term is not in the vocabulary.</summary>
    public int? ColumnOf(string term) => termIndex.TryGetValue(Hash(FnvOffset, term), out int column) ? column : null;

    /// <summary>Learns the vocabulary and idf weights from <paramref name="texts"/>.</summary>
    /// <param name="parallel">Bounds the worker threads; null: all cores.</param>
    public static TfidfNGramVectorizer Fit(NGramBlockOptions options, IReadOnlyList<string> texts, ParallelOptions? parallel = null)
    {
        var counted = CountTerms(options, texts, parallel ?? new ParallelOptions());
        var documentFrequency = new Dictionary<ulong, int>();
        foreach (var (hashes, _) in counted)
            foreach (ulong hash in hashes)
                documentFrequency[hash] = documentFrequency.GetValueOrDefault(hash) + 1;

        var kept = documentFrequency.Where(p => p.Value >= options.MinDocumentFrequency);
        if (options.MaxFeatures > 0)
            kept = kept.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(options.MaxFeatures);
        var terms = kept.OrderBy(p => p.Key).ToArray();
        double n = texts.Count;
        var idf = terms.Select(p => (float)(Math.Log((1 + n) / (1 + p.Value)) + 1)).ToArray();
        return new TfidfNGramVectorizer(options, terms.Select(p => p.Key).ToArray(), idf);
    }

    /// <summary>Rebuilds a fitted vectorizer from its saved state.</summary>
    public static TfidfNGramVectorizer FromState(NGramBlockOptions options, ulong[] terms, float[] idf) =>
        terms.Length == idf.Length ? new(options, terms, idf) : throw new ArgumentException("terms and idf differ in length");

    /// <summary>TF-IDF rows: [texts] → CSR [texts, FeatureCount], each non-empty row of unit L2 norm.</summary>
    /// <param name="parallel">Bounds the worker threads; null: all cores.</param>
    public CsrMatrix Transform(IReadOnlyList<string> texts, ParallelOptions? parallel = null)
    {
        parallel ??= new ParallelOptions();
        var counted = CountTerms(Options, texts, parallel);
        var rowColumns = new int[texts.Count][];
        var rowValues = new float[texts.Count][];
        Parallel.For(0, texts.Count, parallel, r =>
        {
            var (hashes, counts) = counted[r];
            var columns = new List<int>(hashes.Length);
            var values = new List<float>(hashes.Length);
            double squares = 0;
            for (int k = 0; k < hashes.Length; k++)
            {
                if (!termIndex.TryGetValue(hashes[k], out int column)) continue;
                double tf = Options.SublinearTf ? 1 + Math.Log(counts[k]) : counts[k];
                double value = tf * Idf[column];
                columns.Add(column);
                values.Add((float)value);
                squares += value * value;
            }
            float scale = squares > 0 ? (float)(1 / Math.Sqrt(squares)) : 0f;
            for (int k = 0; k < values.Count; k++) values[k] *= scale;
            rowColumns[r] = columns.ToArray();
            rowValues[r] = values.ToArray();
        });
        var starts = new int[texts.Count + 1];
        for (int r = 0; r < texts.Count; r++) starts[r + 1] = starts[r] + rowColumns[r].Length;
        var allColumns = new int[starts[^1]];
        var allValues = new float[starts[^1]];
        for (int r = 0; r < texts.Count; r++)
        {
            rowColumns[r].CopyTo(allColumns, starts[r]);
            rowValues[r].CopyTo(allValues, starts[r]);
        }
        return new CsrMatrix(starts, allColumns, allValues, FeatureCount);
    }

    /// <summary>Each text's distinct term hashes with their counts.</summary>
    private static (ulong[] Hashes, int[] Counts)[] CountTerms(NGramBlockOptions options, IReadOnlyList<string> texts, ParallelOptions parallel)
    {
        var result = new (ulong[], int[])[texts.Count];
        Parallel.For(0, texts.Count, parallel, () => new List<ulong>(512), (r, _, buffer) =>
        {
            buffer.Clear();
            string text = options.Lowercase ? texts[r].ToLowerInvariant() : texts[r];
            if (options.Analyzer == NGramAnalyzer.Word) AddWordNGrams(text, options.MinN, options.MaxN, buffer);
            else AddCharWordBoundedNGrams(text, options.MinN, options.MaxN, buffer);
            buffer.Sort();
            var hashes = new List<ulong>(buffer.Count);
            var counts = new List<int>(buffer.Count);
            for (int k = 0; k < buffer.Count; k++)
            {
                if (k > 0 && buffer[k] == buffer[k - 1]) counts[^1]++;
                else { hashes.Add(buffer[k]); counts.Add(1); }
            }
            result[r] = (hashes.ToArray(), counts.ToArray());
            return buffer;
        }, _ => { });
        return result;
    }

    [GeneratedRegex(@"\b\w\w+\b")]
    private static partial Regex WordToken();

    private static void AddWordNGrams(string text, int minN, int maxN, List<ulong> output)
    {
        var tokens = new List<(int Start, int Length)>();
        foreach (var match in WordToken().EnumerateMatches(text)) tokens.Add((match.Index, match.Length));
        for (int n = minN; n <= maxN; n++)
        {
            for (int start = 0; start + n <= tokens.Count; start++)
            {
                ulong hash = FnvOffset;
                for (int k = 0; k < n; k++)
                {
                    if (k > 0) hash = (hash ^ ' ') * FnvPrime;
                    hash = Hash(hash, text.AsSpan(tokens[start + k].Start, tokens[start + k].Length));
                }
                output.Add(hash);
            }
        }
    }

    private static void AddCharWordBoundedNGrams(string text, int minN, int maxN, List<ulong> output)
    {
        Span<char> padded = stackalloc char[128];
        int position = 0;
        while (position < text.Length)
        {
            while (position < text.Length && char.IsWhiteSpace(text[position])) position++;
            int start = position;
            while (position < text.Length && !char.IsWhiteSpace(text[position])) position++;
            if (position == start) break;
            int wordLength = position - start;
            Span<char> word = wordLength + 2 <= padded.Length ? padded[..(wordLength + 2)] : new char[wordLength + 2];
            word[0] = ' ';
            text.AsSpan(start, wordLength).CopyTo(word[1..]);
            word[^1] = ' ';
            for (int n = minN; n <= maxN; n++)
            {
                // As scikit-learn: a word shorter than n still yields itself (padded) once.
                if (word.Length <= n) { output.Add(Hash(FnvOffset, word)); break; }
                for (int offset = 0; offset + n <= word.Length; offset++) output.Add(Hash(FnvOffset, word.Slice(offset, n)));
            }
        }
    }

    private static ulong Hash(ulong hash, ReadOnlySpan<char> chars)
    {
        foreach (char c in chars) hash = (hash ^ c) * FnvPrime;
        return hash;
    }
}
