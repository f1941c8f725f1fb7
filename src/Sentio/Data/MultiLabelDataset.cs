namespace Sentio.Data;

/// <summary>One labelled text. <see cref="Labels"/> holds the indices of its labels, ascending, no repeats;
/// an empty array means the text has none of the labels.</summary>
/// <param name="Id">The source's identifier, carried through to predictions; null when the source has none.</param>
/// <param name="Line">The 1-based line in <paramref name="Source"/> the example came from, for error messages.</param>
public sealed record TextExample(string? Id, string Text, int[] Labels, string Source = "", int Line = 0);

/// <summary>Labelled texts that share one ordered set of label names.</summary>
public sealed class MultiLabelDataset
{
    public MultiLabelDataset(IReadOnlyList<string> labelNames, IReadOnlyList<TextExample> examples)
    {
        if (labelNames.Count == 0) throw new ArgumentException("A dataset needs at least one label.", nameof(labelNames));
        LabelNames = labelNames;
        Examples = examples;
    }

    public IReadOnlyList<string> LabelNames { get; }
    public IReadOnlyList<TextExample> Examples { get; }
    public int Count => Examples.Count;
    public int LabelCount => LabelNames.Count;

    public IReadOnlyList<string> Texts => Examples.Select(e => e.Text).ToArray();

    /// <summary>The 0/1 label matrix, shape [examples, labels].</summary>
    public bool[,] LabelMatrix()
    {
        var matrix = new bool[Count, LabelCount];
        for (int i = 0; i < Count; i++)
            foreach (int label in Examples[i].Labels) matrix[i, label] = true;
        return matrix;
    }

    /// <summary>A dataset holding the examples at <paramref name="indices"/>, in that order.</summary>
    public MultiLabelDataset Subset(IEnumerable<int> indices) =>
        new(LabelNames, indices.Select(i => Examples[i]).ToArray());
}
