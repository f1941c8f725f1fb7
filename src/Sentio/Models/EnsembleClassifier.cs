namespace Sentio.Models;

/// <summary>One member of an ensemble: its model folder (relative to the ensemble's folder) and its weight.</summary>
public sealed record EnsembleMember
{
    /// <summary>The member's model folder, relative to the ensemble's model folder, e.g. <c>members/fold-1</c>.</summary>
    public string Folder { get; init; } = "";

    /// <summary>The member's share of the average; the weights of an ensemble sum to 1.</summary>
    public double Weight { get; init; }
}

/// <summary>What <c>model.json</c> of an ensemble holds besides its labels.</summary>
public sealed record EnsembleOptions
{
    public IReadOnlyList<EnsembleMember> Members { get; init; } = [];
}

/// <summary>A weighted average of the probabilities of several fitted models over the same labels — the model of a
/// <c>sentio cv</c> run (the fold models, equal weights) and of a <c>sentio ensemble</c> run (whole runs, equal or
/// validation-tuned weights). Its folder holds <c>model.json</c> (members and weights) and one model folder per
/// member under <c>members/</c>, each loaded by the catalog, so members may be of any architecture, ensembles included.
/// An ensemble is assembled from fitted members, never fitted from a config.</summary>
public sealed class EnsembleClassifier : IMultiLabelClassifier
{
    public const string ArchitectureName = "sentio.Ensemble.v1";

    /// <summary>The folder, inside an ensemble's model folder, that holds the member model folders.</summary>
    public const string MembersFolder = "members";

    private readonly IMultiLabelClassifier[] members;
    private readonly string[] memberNames;

    /// <summary>An ensemble that owns (and disposes) <paramref name="members"/>.</summary>
    /// <param name="members">Fitted models with the same labels in the same order.</param>
    /// <param name="weights">[members], each &gt;= 0, not all 0; normalised to sum 1.</param>
    /// <param name="memberNames">[members]: the folder names under <c>members/</c> that <see cref="Save"/> uses;
    /// default <c>member-1</c>, <c>member-2</c>, ...</param>
    /// <exception cref="ArgumentException">No member, counts differ, a weight is negative or all are 0, or labels differ.</exception>
    public EnsembleClassifier(IReadOnlyList<IMultiLabelClassifier> members, IReadOnlyList<double> weights, IReadOnlyList<string>? memberNames = null)
    {
        if (members.Count == 0) throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        this.members = members.ToArray();
        this.memberNames = memberNames?.ToArray() ?? Enumerable.Range(1, members.Count).Select(i => $"member-{i}").ToArray();
        if (this.memberNames.Length != members.Count || this.memberNames.Distinct().Count() != members.Count)
            throw new ArgumentException("Member names must be distinct, one per member.", nameof(memberNames));
        Weights = Normalise(weights, members.Count);
        LabelNames = members[0].LabelNames;
        for (int m = 1; m < members.Count; m++)
            if (!members[m].LabelNames.SequenceEqual(LabelNames))
                throw new ArgumentException($"Member {m + 1} has labels {string.Join(",", members[m].LabelNames)}, member 1 has {string.Join(",", LabelNames)}.", nameof(members));
    }

    public string Architecture => ArchitectureName;
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>[members], summing to 1.</summary>
    public IReadOnlyList<double> Weights { get; }

    public IReadOnlyList<IMultiLabelClassifier> Members => members;

    /// <summary>Σ_m weight_m · member_m(texts): [texts] → [texts, labels].</summary>
    public double[,] PredictProbabilities(IReadOnlyList<string> texts)
    {
        var sum = new double[texts.Count, LabelNames.Count];
        for (int m = 0; m < members.Length; m++)
        {
            if (Weights[m] == 0) continue;
            AddScaled(sum, members[m].PredictProbabilities(texts), Weights[m]);
        }
        return sum;
    }

    /// <summary>Saves every member under <c>members/{name}</c> and writes <c>model.json</c>.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        for (int m = 0; m < members.Length; m++) members[m].Save(Path.Combine(directory, MembersFolder, memberNames[m]));
        WriteManifest(directory, LabelNames, memberNames.Select(name => Path.Combine(MembersFolder, name)).ToArray(), Weights);
    }

    /// <summary>Writes <c>model.json</c> for member model folders already saved under <paramref name="directory"/>, so
    /// that a cross-validation can save each fold model as soon as it is fitted and keep none of them in memory.</summary>
    /// <param name="memberFolders">[members]: folders relative to <paramref name="directory"/>.</param>
    /// <param name="weights">[members], each &gt;= 0, not all 0; normalised to sum 1.</param>
    public static void WriteManifest(string directory, IReadOnlyList<string> labelNames, IReadOnlyList<string> memberFolders, IReadOnlyList<double> weights)
    {
        var normalised = Normalise(weights, memberFolders.Count);
        var options = new EnsembleOptions
        {
            Members = memberFolders.Select((folder, m) => new EnsembleMember { Folder = folder.Replace('\\', '/'), Weight = normalised[m] }).ToArray(),
        };
        ModelManifest.Write(directory, ArchitectureName, labelNames, options);
    }

    /// <summary>Loads the ensemble saved in <paramref name="directory"/> with all its members.</summary>
    /// <param name="loadMember">Loads one member folder (the catalog's Load).</param>
    /// <exception cref="SentioException">model.json lists no member, a member folder escapes the ensemble's folder or
    /// does not load, or its labels differ from the ensemble's.</exception>
    public static EnsembleClassifier Load(string directory, Func<string, IMultiLabelClassifier> loadMember)
    {
        var (labels, options, _, _) = ModelManifest.Read<EnsembleOptions>(directory);
        string manifest = Path.Combine(directory, ModelManifest.FileName);
        if (options.Members.Count == 0) throw new SentioException($"{manifest}: options.members is empty");
        if (!(options.Members.Sum(m => m.Weight) > 0)) throw new SentioException($"{manifest}: the member weights must sum to more than 0");
        string root = Path.GetFullPath(directory);
        var loaded = new List<IMultiLabelClassifier>();
        try
        {
            foreach (var member in options.Members)
            {
                string folder = Path.GetFullPath(Path.Combine(root, member.Folder));
                if (!folder.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new SentioException($"{manifest}: member folder '{member.Folder}' is outside the ensemble's folder");
                var model = loadMember(folder);
                loaded.Add(model);
                if (!model.LabelNames.SequenceEqual(labels))
                    throw new SentioException($"{manifest}: member '{member.Folder}' has labels {string.Join(",", model.LabelNames)}, the ensemble has {string.Join(",", labels)}");
                if (!(member.Weight >= 0)) throw new SentioException($"{manifest}: member '{member.Folder}' has weight {member.Weight}; expected a number >= 0");
            }
            return new EnsembleClassifier(loaded, options.Members.Select(m => m.Weight).ToArray(),
                options.Members.Select(m => Path.GetFileName(m.Folder)).ToArray());
        }
        catch
        {
            foreach (var model in loaded) model.Dispose();
            throw;
        }
    }

    public long ParameterCount => members.Sum(m => m.ParameterCount);

    public void Dispose()
    {
        foreach (var member in members) member.Dispose();
    }

    /// <summary>sum += weight · probabilities, both [texts, labels].</summary>
    public static void AddScaled(double[,] sum, double[,] probabilities, double weight)
    {
        if (probabilities.GetLength(0) != sum.GetLength(0) || probabilities.GetLength(1) != sum.GetLength(1))
            throw new ArgumentException($"probabilities of shape [{probabilities.GetLength(0)}, {probabilities.GetLength(1)}], expected [{sum.GetLength(0)}, {sum.GetLength(1)}]", nameof(probabilities));
        for (int i = 0; i < sum.GetLength(0); i++)
            for (int j = 0; j < sum.GetLength(1); j++) sum[i, j] += weight * probabilities[i, j];
    }

    /// <summary>Weights scaled to sum 1. [members] → [members].</summary>
    /// <exception cref="ArgumentException">The count differs, a weight is negative or not finite, or all are 0.</exception>
    public static double[] Normalise(IReadOnlyList<double> weights, int count)
    {
        if (weights.Count != count) throw new ArgumentException($"{weights.Count} weights for {count} members.", nameof(weights));
        if (weights.Any(w => !(w >= 0) || double.IsInfinity(w))) throw new ArgumentException($"Weights must be finite and >= 0, got {string.Join(", ", weights)}.", nameof(weights));
        double total = weights.Sum();
        if (!(total > 0)) throw new ArgumentException("At least one weight must be > 0.", nameof(weights));
        return weights.Select(w => w / total).ToArray();
    }
}
