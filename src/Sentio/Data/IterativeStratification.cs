namespace Sentio.Data;

/// <summary>Iterative stratification of multi-label data (Sechidis, Tsoumakas &amp; Vlahavas 2011, "On the
/// stratification of multi-label data", Algorithm 1). Labels are handled rarest first, so that the rare ones, which
/// a random split scatters worst, are spread over the subsets in the desired proportions; each example goes to the
/// subset that most wants its label, then the one that most wants examples. Ties are broken by a
/// <see cref="Random"/> seeded with the caller's seed, so the result is deterministic for a seed.</summary>
public static class IterativeStratification
{
    /// <summary>Assigns every example to one of <c>proportions.Count</c> subsets.</summary>
    /// <param name="proportions">The desired share of each subset, each &gt; 0, summing to 1.</param>
    /// <returns>The subset index of each example, shape [examples].</returns>
    public static int[] Split(MultiLabelDataset dataset, IReadOnlyList<double> proportions, int seed)
    {
        if (proportions.Count == 0 || proportions.Any(p => !(p > 0)) || Math.Abs(proportions.Sum() - 1) > 1e-9)
            throw new ArgumentException("Proportions must be positive and sum to 1.", nameof(proportions));
        int subsets = proportions.Count, labelCount = dataset.LabelCount, n = dataset.Count;
        var random = new Random(seed);

        // Desired number of examples per subset (c_j) and per subset and label (c_j^i).
        var desired = proportions.Select(p => n * p).ToArray();
        var examplesOfLabel = new List<int>[labelCount];
        for (int l = 0; l < labelCount; l++) examplesOfLabel[l] = [];
        for (int i = 0; i < n; i++)
            foreach (int label in dataset.Examples[i].Labels) examplesOfLabel[label].Add(i);
        var desiredOfLabel = new double[subsets, labelCount];
        for (int j = 0; j < subsets; j++)
            for (int l = 0; l < labelCount; l++) desiredOfLabel[j, l] = examplesOfLabel[l].Count * proportions[j];

        var assignment = Enumerable.Repeat(-1, n).ToArray();
        var remainingOfLabel = examplesOfLabel.Select(list => list.Count).ToArray();
        var candidates = new List<int>();
        var tiedSubsets = new List<int>();
        while (true)
        {
            // The label with the fewest (but at least one) examples not yet assigned; ties at random.
            int rarest = -1;
            candidates.Clear();
            for (int l = 0; l < labelCount; l++)
            {
                if (remainingOfLabel[l] == 0) continue;
                if (rarest < 0 || remainingOfLabel[l] < remainingOfLabel[rarest]) { rarest = l; candidates.Clear(); candidates.Add(l); }
                else if (remainingOfLabel[l] == remainingOfLabel[rarest]) candidates.Add(l);
            }
            if (rarest < 0) break;
            int label = candidates[random.Next(candidates.Count)];

            foreach (int example in examplesOfLabel[label])
            {
                if (assignment[example] >= 0) continue;
                int subset = ChooseSubset(desired, j => desiredOfLabel[j, label], random, tiedSubsets);
                assignment[example] = subset;
                desired[subset]--;
                foreach (int other in dataset.Examples[example].Labels)
                {
                    desiredOfLabel[subset, other]--;
                    remainingOfLabel[other]--;
                }
            }
        }

        // Examples without labels fill the subsets that still want the most examples.
        for (int i = 0; i < n; i++)
        {
            if (assignment[i] >= 0) continue;
            int subset = ChooseSubset(desired, j => desired[j], random, tiedSubsets);
            assignment[i] = subset;
            desired[subset]--;
        }
        return assignment;
    }

    /// <summary>The subset with the largest <paramref name="primary"/>, ties to the largest desired size, then at random.</summary>
    private static int ChooseSubset(double[] desired, Func<int, double> primary, Random random, List<int> ties)
    {
        ties.Clear();
        for (int j = 0; j < desired.Length; j++)
        {
            if (ties.Count == 0) { ties.Add(j); continue; }
            int best = ties[0];
            int order = primary(j).CompareTo(primary(best));
            if (order == 0) order = desired[j].CompareTo(desired[best]);
            if (order > 0) { ties.Clear(); ties.Add(j); }
            else if (order == 0) ties.Add(j);
        }
        return ties.Count == 1 ? ties[0] : ties[random.Next(ties.Count)];
    }

    /// <summary>The fold (0..k-1) of every example for k-fold cross-validation, folds of equal desired size.</summary>
    /// <returns>Shape [examples].</returns>
    public static int[] KFold(MultiLabelDataset dataset, int k, int seed)
    {
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "k-fold needs k >= 2.");
        if (k > dataset.Count) throw new SentioException($"folds: {k} folds need at least {k} examples, the dataset has {dataset.Count}");
        return Split(dataset, Enumerable.Repeat(1.0 / k, k).ToArray(), seed);
    }

    /// <summary>For each of the <paramref name="k"/> folds, the indices of the examples to train on (all other folds)
    /// and to test on (this fold), each ascending.</summary>
    public static IReadOnlyList<(int[] Train, int[] Test)> KFoldIndices(MultiLabelDataset dataset, int k, int seed)
    {
        int[] folds = KFold(dataset, k, seed);
        return Enumerable.Range(0, k)
            .Select(fold => (
                Enumerable.Range(0, folds.Length).Where(i => folds[i] != fold).ToArray(),
                Enumerable.Range(0, folds.Length).Where(i => folds[i] == fold).ToArray()))
            .ToArray();
    }
}
