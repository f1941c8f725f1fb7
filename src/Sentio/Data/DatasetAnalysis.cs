using System.Globalization;
using System.Text;
using System.Text.Json;
using Sentio.IO;

namespace Sentio.Data;

/// <summary>Summary statistics of a length distribution. Percentiles interpolate linearly between the two nearest
/// ranks (numpy's default): the p-th percentile of sorted values v[0..n-1] is taken at position p·(n−1).</summary>
public sealed record LengthStats(double Mean, double Median, double P95, int Max);

/// <summary>A text found more than once, and where.</summary>
/// <param name="Locations">Each occurrence as <c>split:file:line</c>.</param>
public sealed record DuplicateText(string Text, IReadOnlyList<string> Locations);

/// <summary>Statistics of one split.</summary>
/// <param name="LabelCounts">Texts carrying each label, shape [labels].</param>
/// <param name="LabelRates">LabelCounts / Count, shape [labels].</param>
/// <param name="LabelsPerText">Element k = texts with exactly k labels, shape [max labels per text + 1].</param>
/// <param name="CoOccurrence">Element [a][b] = texts carrying both a and b (the diagonal is LabelCounts), shape [labels][labels].</param>
/// <param name="Characters">Text length in UTF-16 characters.</param>
/// <param name="Words">Text length in whitespace-separated words.</param>
/// <param name="Unlabeled">Texts with no label.</param>
/// <param name="DuplicateRows">Rows whose text equals an earlier row's text in the same split (exact match).</param>
/// <param name="DuplicateExamples">A few of those texts with every location.</param>
public sealed record SplitAnalysis(
    string Name,
    int Count,
    IReadOnlyList<int> LabelCounts,
    IReadOnlyList<double> LabelRates,
    IReadOnlyList<int> LabelsPerText,
    IReadOnlyList<IReadOnlyList<int>> CoOccurrence,
    LengthStats Characters,
    LengthStats Words,
    int Unlabeled,
    int DuplicateRows,
    IReadOnlyList<DuplicateText> DuplicateExamples);

/// <summary>Texts that occur in two splits (exact match), a leak between them.</summary>
/// <param name="SharedTexts">Distinct texts present in both splits.</param>
public sealed record SplitOverlap(string First, string Second, int SharedTexts, IReadOnlyList<DuplicateText> Examples);

/// <summary>What <c>sentio data analyze</c> reports: per-split label statistics, lengths, unlabeled texts and duplicates.</summary>
public sealed record DatasetAnalysis(IReadOnlyList<string> LabelNames, IReadOnlyList<SplitAnalysis> Splits, IReadOnlyList<SplitOverlap> Overlaps)
{
    /// <summary>How many duplicate texts each finding lists.</summary>
    public const int ExampleCount = 3;

    public static DatasetAnalysis Compute(DatasetSplits splits) => Compute(splits.Named);

    /// <summary>Analyses the datasets under their names; every one must have the same label names.</summary>
    /// <exception cref="ArgumentException">No datasets, or datasets with different labels.</exception>
    public static DatasetAnalysis Compute(IReadOnlyList<(string Name, MultiLabelDataset Dataset)> datasets)
    {
        if (datasets.Count == 0) throw new ArgumentException("Nothing to analyse.", nameof(datasets));
        IReadOnlyList<string> labelNames = datasets[0].Dataset.LabelNames;
        if (datasets.Any(d => !d.Dataset.LabelNames.SequenceEqual(labelNames)))
            throw new ArgumentException("Every dataset must have the same labels.", nameof(datasets));

        var splits = datasets.Select(d => Analyse(d.Name, d.Dataset)).ToArray();
        var overlaps = new List<SplitOverlap>();
        for (int a = 0; a < datasets.Count; a++)
            for (int b = a + 1; b < datasets.Count; b++)
                overlaps.Add(Overlap(datasets[a], datasets[b]));
        return new DatasetAnalysis(labelNames, splits, overlaps);
    }

    private static SplitAnalysis Analyse(string name, MultiLabelDataset dataset)
    {
        int n = dataset.Count, labels = dataset.LabelCount;
        var counts = new int[labels];
        var coOccurrence = new int[labels][];
        for (int l = 0; l < labels; l++) coOccurrence[l] = new int[labels];
        var perText = new List<int>();
        var characters = new int[n];
        var words = new int[n];
        for (int i = 0; i < n; i++)
        {
            TextExample example = dataset.Examples[i];
            foreach (int a in example.Labels)
            {
                counts[a]++;
                foreach (int b in example.Labels) coOccurrence[a][b]++;
            }
            while (perText.Count <= example.Labels.Length) perText.Add(0);
            perText[example.Labels.Length]++;
            characters[i] = example.Text.Length;
            words[i] = CountWords(example.Text);
        }

        var groups = dataset.Examples.Select((e, i) => (e, i)).GroupBy(x => x.e.Text, StringComparer.Ordinal).Where(g => g.Count() > 1).ToArray();
        return new SplitAnalysis(
            name, n, counts,
            counts.Select(c => n == 0 ? 0 : (double)c / n).ToArray(),
            perText, coOccurrence,
            Stats(characters), Stats(words),
            Unlabeled: perText.Count > 0 ? perText[0] : 0,
            DuplicateRows: groups.Sum(g => g.Count() - 1),
            groups.Take(ExampleCount).Select(g => new DuplicateText(g.Key, g.Select(x => Location(name, x.e)).ToArray())).ToArray());
    }

    private static SplitOverlap Overlap((string Name, MultiLabelDataset Dataset) first, (string Name, MultiLabelDataset Dataset) second)
    {
        var firstByText = first.Dataset.Examples.ToLookup(e => e.Text, StringComparer.Ordinal);
        var shared = second.Dataset.Examples.Where(e => firstByText.Contains(e.Text))
            .GroupBy(e => e.Text, StringComparer.Ordinal).ToArray();
        var examples = shared.Take(ExampleCount)
            .Select(g => new DuplicateText(g.Key,
                firstByText[g.Key].Select(e => Location(first.Name, e)).Concat(g.Select(e => Location(second.Name, e))).ToArray()))
            .ToArray();
        return new SplitOverlap(first.Name, second.Name, shared.Length, examples);
    }

    private static string Location(string split, TextExample example) => $"{split}:{example.Source}:{example.Line}";

    private static int CountWords(string text)
    {
        int count = 0;
        bool inWord = false;
        foreach (char c in text)
        {
            bool space = char.IsWhiteSpace(c);
            if (!space && !inWord) count++;
            inWord = !space;
        }
        return count;
    }

    private static LengthStats Stats(int[] values)
    {
        if (values.Length == 0) return new LengthStats(0, 0, 0, 0);
        int[] sorted = values.Order().ToArray();
        return new LengthStats(values.Average(), Percentile(sorted, 0.5), Percentile(sorted, 0.95), sorted[^1]);
    }

    private static double Percentile(int[] sorted, double p)
    {
        double position = p * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>The analysis as indented JSON with snake_case keys.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AtomicFile.Json);

    /// <summary>A fixed-width report for the terminal: label counts and rates per split, labels per text, lengths,
    /// unlabeled texts, the most frequent label pairs, and duplicates.</summary>
    public string ToTable()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        int nameWidth = Math.Max(16, LabelNames.Max(n => n.Length) + 2);
        const int column = 20;

        text.Append("label".PadRight(nameWidth));
        foreach (SplitAnalysis split in Splits) text.Append(split.Name.PadLeft(column));
        text.AppendLine();
        for (int l = 0; l < LabelNames.Count; l++)
        {
            text.Append(LabelNames[l].PadRight(nameWidth));
            foreach (SplitAnalysis split in Splits)
                text.Append(string.Format(inv, "{0,11:N0} {1,7}", split.LabelCounts[l], Percent(split.LabelRates[l])).PadLeft(column));
            text.AppendLine();
        }
        text.AppendLine();

        void Row(string title, Func<SplitAnalysis, string> cell)
        {
            text.Append(title.PadRight(nameWidth));
            foreach (SplitAnalysis split in Splits) text.Append(cell(split).PadLeft(column));
            text.AppendLine();
        }
        Row("texts", s => s.Count.ToString("N0", inv));
        Row("no label", s => string.Format(inv, "{0:N0} {1,7}", s.Unlabeled, Percent(s.Count == 0 ? 0 : (double)s.Unlabeled / s.Count)));
        int maxPerText = Splits.Max(s => s.LabelsPerText.Count);
        for (int k = 1; k < maxPerText; k++)
            Row($"{k} label{(k == 1 ? "" : "s")}", s => (k < s.LabelsPerText.Count ? s.LabelsPerText[k] : 0).ToString("N0", inv));
        Row("chars mean/med", s => string.Format(inv, "{0:0.0} / {1:0.#}", s.Characters.Mean, s.Characters.Median));
        Row("chars p95/max", s => string.Format(inv, "{0:0.#} / {1}", s.Characters.P95, s.Characters.Max));
        Row("words mean/med", s => string.Format(inv, "{0:0.0} / {1:0.#}", s.Words.Mean, s.Words.Median));
        Row("words p95/max", s => string.Format(inv, "{0:0.#} / {1}", s.Words.P95, s.Words.Max));
        Row("duplicate rows", s => s.DuplicateRows.ToString("N0", inv));
        text.AppendLine();

        SplitAnalysis first = Splits[0];
        var pairs = new List<(int A, int B, int Count)>();
        for (int a = 0; a < LabelNames.Count; a++)
            for (int b = a + 1; b < LabelNames.Count; b++)
                if (first.CoOccurrence[a][b] > 0) pairs.Add((a, b, first.CoOccurrence[a][b]));
        if (pairs.Count > 0)
        {
            text.AppendLine(inv, $"most frequent label pairs in {first.Name}:");
            foreach (var (a, b, count) in pairs.OrderByDescending(p => p.Count).ThenBy(p => p.A).ThenBy(p => p.B).Take(10))
                text.AppendLine(inv, $"  {LabelNames[a] + " + " + LabelNames[b],-40}{count,8:N0}");
            text.AppendLine();
        }

        foreach (SplitAnalysis split in Splits)
            foreach (DuplicateText duplicate in split.DuplicateExamples)
                text.AppendLine(inv, $"duplicate in {split.Name}: {Quote(duplicate.Text)} at {Locations(duplicate)}");
        foreach (SplitOverlap overlap in Overlaps)
        {
            text.AppendLine(inv, $"texts in both {overlap.First} and {overlap.Second}: {overlap.SharedTexts:N0}");
            foreach (DuplicateText duplicate in overlap.Examples)
                text.AppendLine(inv, $"  {Quote(duplicate.Text)} at {Locations(duplicate)}");
        }
        return text.ToString();
    }

    /// <summary>The first few locations of a duplicate, then how many more there are.</summary>
    private static string Locations(DuplicateText duplicate) =>
        string.Join(", ", duplicate.Locations.Take(4)) + (duplicate.Locations.Count > 4 ? $" and {duplicate.Locations.Count - 4} more" : "");

    private static string Percent(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Quote(string text) =>
        "\"" + (text.Length > 60 ? text[..57] + "..." : text).ReplaceLineEndings(" ") + "\"";
}
