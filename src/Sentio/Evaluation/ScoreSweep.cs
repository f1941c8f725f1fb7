namespace Sentio.Evaluation;

/// <summary>One column of scores sorted once, descending, with ties grouped: for each distinct score, how many
/// positives and negatives score at least that much. Every ranking metric and the threshold sweep read this.</summary>
internal sealed class ScoreSweep
{
    /// <summary>The distinct scores, highest first; length = number of distinct scores.</summary>
    public double[] Values { get; }

    /// <summary>TruePositives[k]: positives with score &gt;= Values[k].</summary>
    public int[] TruePositives { get; }

    /// <summary>FalsePositives[k]: negatives with score &gt;= Values[k].</summary>
    public int[] FalsePositives { get; }

    public int Positives { get; }
    public int Negatives { get; }

    private ScoreSweep(double[] values, int[] truePositives, int[] falsePositives, int positives, int negatives)
    {
        Values = values;
        TruePositives = truePositives;
        FalsePositives = falsePositives;
        Positives = positives;
        Negatives = negatives;
    }

    /// <summary>Sorts <paramref name="scores"/> (length n) with their truth; O(n log n).</summary>
    public static ScoreSweep Of(double[] scores, bool[] truth)
    {
        var keys = (double[])scores.Clone();
        var labels = (bool[])truth.Clone();
        Array.Sort(keys, labels); // ascending; walked from the end
        var values = new List<double>();
        var truePositives = new List<int>();
        var falsePositives = new List<int>();
        int tp = 0, fp = 0;
        for (int i = keys.Length - 1; i >= 0; i--)
        {
            if (labels[i]) tp++; else fp++;
            if (i == 0 || keys[i - 1] != keys[i])
            {
                values.Add(keys[i]);
                truePositives.Add(tp);
                falsePositives.Add(fp);
            }
        }
        return new ScoreSweep(values.ToArray(), truePositives.ToArray(), falsePositives.ToArray(), tp, fp);
    }
}
