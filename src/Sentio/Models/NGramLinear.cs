using System.Diagnostics;
using Sentio.Configuration;
using Sentio.Data;
using Sentio.IO;
using Sentio.Text;
using Sentio.Training;

namespace Sentio.Models;

/// <summary>How examples of the rarer class are weighted in the loss.</summary>
public enum ClassWeighting
{
    /// <summary>Every example counts once.</summary>
    None,

    /// <summary>scikit-learn's <c>class_weight='balanced'</c>: per label, n / (2 · count of the example's class) for its
    /// positives and negatives; for a single-label model, n / (classes · count of the example's class).</summary>
    Balanced,
}

/// <summary>Options of <see cref="NGramLinear"/>. The defaults are the tuned GoEmotions recipe.</summary>
public sealed record NGramLinearOptions : IValidatableOptions
{
    /// <summary>Word n-gram block; null leaves it out.</summary>
    public NGramBlockOptions? WordNgrams { get; init; } = new() { Analyzer = NGramAnalyzer.Word, MinN = 1, MaxN = 2 };

    /// <summary>Character n-gram block; null leaves it out.</summary>
    public NGramBlockOptions? CharNgrams { get; init; } = new() { Analyzer = NGramAnalyzer.CharWordBounded, MinN = 2, MaxN = 5 };

    /// <summary>Inverse regularisation strength, scikit-learn's <c>C</c>: larger fits the training data more closely.</summary>
    public double C { get; init; } = 1;

    public ClassWeighting ClassWeight { get; init; } = ClassWeighting.None;

    /// <summary>Multi-label solver stopping tolerance on the largest dual projected gradient of a pass (LIBLINEAR's eps).</summary>
    public double Tolerance { get; init; } = 0.01;

    /// <summary>Most passes of the multi-label dual solver per label.</summary>
    public int MaxPasses { get; init; } = 100;

    /// <summary>Single-label (multinomial) L-BFGS stopping tolerance on Math.NET's relative gradient,
    /// maxᵢ |gᵢ| · max(|wᵢ|, 1) / max(|objective|, 1): scale-free, so one value suits any training-set size.</summary>
    public double MultinomialTolerance { get; init; } = 1e-5;

    /// <summary>Worker threads for featurising, the label-parallel solver and prediction; 0 = all cores.</summary>
    public int Threads { get; init; }

    public IEnumerable<ConfigError> Validate()
    {
        if (WordNgrams == null && CharNgrams == null) yield return new("word_ngrams", "word_ngrams and char_ngrams are both null; keep at least one");
        foreach (var (key, block) in new[] { ("word_ngrams", WordNgrams), ("char_ngrams", CharNgrams) })
        {
            if (block == null) continue;
            if (block.MinN < 1 || block.MaxN < block.MinN) yield return new($"{key}.max_n", $"expected 1 <= min_n <= max_n, got min_n={block.MinN}, max_n={block.MaxN}");
            if (block.MinDocumentFrequency < 1) yield return new($"{key}.min_document_frequency", $"expected an integer >= 1, got {block.MinDocumentFrequency}");
            if (block.MaxFeatures < 0) yield return new($"{key}.max_features", $"expected 0 (no limit) or a positive integer, got {block.MaxFeatures}");
        }
        if (!(C > 0)) yield return new("c", $"expected a number > 0, got {C}");
        if (!(Tolerance > 0)) yield return new("tolerance", $"expected a number > 0, got {Tolerance}");
        if (!(MultinomialTolerance > 0)) yield return new("multinomial_tolerance", $"expected a number > 0, got {MultinomialTolerance}");
        if (MaxPasses < 1) yield return new("max_passes", $"expected an integer >= 1, got {MaxPasses}");
        if (Threads < 0) yield return new("threads", $"expected 0 (all cores) or a positive integer, got {Threads}");
    }
}

/// <summary>The fast CPU baseline: sublinear TF-IDF word and character n-grams, then, for a multi-label problem, one
/// L2-regularised logistic regression per label (one-vs-rest), each solved exactly by <see cref="DualLogisticRegression"/>;
/// for a single-label problem, one multinomial (softmax) logistic regression (<see cref="MultinomialLogisticRegression"/>).</summary>
public sealed class NGramLinear : ITrainableClassifier
{
    public const string ArchitectureName = "sentio.NGramLinear.v1";
    private const string WeightsFile = "ngram_linear.bin";
    private const int FormatVersion = 1;

    private readonly int seed;
    private TfidfNGramVectorizer[] vectorizers = [];
    private float[][] weights = []; // per label: [features + 1], bias last

    /// <param name="problemType">Single-label fits one softmax model and predicts its probabilities; multi-label one sigmoid per label.</param>
    public NGramLinear(NGramLinearOptions options, IReadOnlyList<string> labelNames, int seed,
        ProblemType problemType = ProblemType.MultiLabelClassification)
    {
        Options = options;
        LabelNames = labelNames;
        ProblemType = problemType;
        this.seed = seed;
    }

    public string Architecture => ArchitectureName;
    public IReadOnlyList<string> LabelNames { get; }
    public ProblemType ProblemType { get; }
    public NGramLinearOptions Options { get; }
    private bool IsFitted => weights.Length > 0;

    /// <summary>The solver runs in one pass: nothing to checkpoint.</summary>
    public bool WritesCheckpoints => false;

    /// <summary>labels × (features + 1 bias).</summary>
    public long ParameterCount => weights.Sum(w => (long)w.Length);

    /// <remarks>Cancellation is checked between the feature blocks and before each label's solve.</remarks>
    public void Fit(MultiLabelDataset train, MultiLabelDataset? validation, FitContext context)
    {
        FitArguments.Check(train, validation, LabelNames, ProblemType);
        var monitor = context.Monitor;
        var cancellation = context.Cancellation;
        var clock = Stopwatch.StartNew();
        monitor.BeginStage("features", 0);
        var texts = train.Texts;
        vectorizers = Blocks().Select(block =>
        {
            cancellation.ThrowIfCancellationRequested();
            return TfidfNGramVectorizer.Fit(block, texts, Workers);
        }).ToArray();
        var features = Featurize(texts);
        monitor.Log($"features: {features.ColumnCount:N0} columns ({string.Join(" + ", vectorizers.Select(v => $"{v.Options.Analyzer} {v.FeatureCount:N0}"))}), {features.NonZeros:N0} non-zeros, {clock.Elapsed.TotalSeconds:F1} s");

        if (ProblemType == ProblemType.SingleLabelClassification)
        {
            FitMultinomial(features, SingleLabelClasses.Of(train), monitor, cancellation);
            monitor.Log($"fit {clock.Elapsed.TotalSeconds:F1} s");
            monitor.EpochEnded(new EpochSummary(1, null, null, null, null, clock.Elapsed.TotalSeconds));
            return;
        }
        var truth = train.LabelMatrix();
        var fitted = new float[LabelNames.Count][];
        var passes = new int[LabelNames.Count];
        monitor.BeginStage("logistic regression", LabelNames.Count);
        var workers = new ParallelOptions { MaxDegreeOfParallelism = Workers.MaxDegreeOfParallelism, CancellationToken = cancellation };
        Parallel.For(0, LabelNames.Count, workers, label =>
        {
            var positive = new bool[train.Count];
            int positives = 0;
            for (int i = 0; i < train.Count; i++) positives += (positive[i] = truth[i, label]) ? 1 : 0;
            var (costPositive, costNegative) = Costs(positives, train.Count);
            var (w, used) = DualLogisticRegression.Solve(features, positive, costPositive, costNegative, Options.Tolerance, Options.MaxPasses, seed + label);
            fitted[label] = Array.ConvertAll(w, x => (float)x);
            passes[label] = used;
            monitor.Advance();
        });
        weights = fitted;
        monitor.Log($"solver passes per label: min {passes.Min()}, max {passes.Max()}; fit {clock.Elapsed.TotalSeconds:F1} s");
        monitor.EpochEnded(new EpochSummary(1, null, null, null, null, clock.Elapsed.TotalSeconds));
    }

    /// <summary>One multinomial model over all classes; its rows go where the per-label weights go, so saving and loading
    /// are the same.</summary>
    private void FitMultinomial(CsrMatrix features, int[] classes, ITrainingMonitor monitor, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        monitor.BeginStage("multinomial logistic regression", 0);
        var classWeights = Options.ClassWeight == ClassWeighting.Balanced ? MultinomialLogisticRegression.BalancedClassWeights(classes, LabelNames.Count) : null;
        var (w, b, iterations) = MultinomialLogisticRegression.Solve(features, classes, LabelNames.Count, Options.C, Options.MultinomialTolerance, classWeights: classWeights);
        weights = Enumerable.Range(0, LabelNames.Count).Select(k =>
        {
            var row = new float[features.ColumnCount + 1];
            for (int f = 0; f < features.ColumnCount; f++) row[f] = (float)w[k, f];
            row[^1] = (float)b[k];
            return row;
        }).ToArray();
        monitor.Log($"multinomial solver: {iterations} L-BFGS iterations");
    }

    public double[,] PredictProbabilities(IReadOnlyList<string> texts)
    {
        if (!IsFitted) throw new InvalidOperationException("Fit or load the model before predicting.");
        var features = Featurize(texts);
        var probabilities = new double[texts.Count, LabelNames.Count];
        bool softmax = ProblemType == ProblemType.SingleLabelClassification;
        Parallel.For(0, texts.Count, Workers, i =>
        {
            double largest = double.NegativeInfinity;
            for (int label = 0; label < LabelNames.Count; label++)
            {
                float[] w = weights[label];
                double margin = w[^1];
                for (int k = features.RowStarts[i]; k < features.RowStarts[i + 1]; k++) margin += w[features.Columns[k]] * (double)features.Values[k];
                probabilities[i, label] = softmax ? margin : 1 / (1 + Math.Exp(-margin));
                largest = Math.Max(largest, margin);
            }
            if (!softmax) return;
            double sum = 0;
            for (int label = 0; label < LabelNames.Count; label++) sum += probabilities[i, label] = Math.Exp(probabilities[i, label] - largest);
            for (int label = 0; label < LabelNames.Count; label++) probabilities[i, label] /= sum;
        });
        return probabilities;
    }

    public void Save(string directory)
    {
        if (!IsFitted) throw new InvalidOperationException("Fit the model before saving it.");
        Directory.CreateDirectory(directory);
        AtomicFile.Write(Path.Combine(directory, WeightsFile), stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(FormatVersion);
            writer.Write(vectorizers.Length);
            foreach (var vectorizer in vectorizers)
            {
                writer.Write(vectorizer.FeatureCount);
                foreach (ulong term in vectorizer.Terms) writer.Write(term);
                foreach (float idf in vectorizer.Idf) writer.Write(idf);
            }
            writer.Write(weights.Length);
            writer.Write(weights[0].Length);
            foreach (var w in weights) foreach (float x in w) writer.Write(x);
        });
        ModelManifest.Write(directory, ArchitectureName, LabelNames, Options, seed, ProblemType);
    }

    public static NGramLinear Load(string directory)
    {
        var (labels, options, seed, problemType) = ModelManifest.Read<NGramLinearOptions>(directory);
        var model = new NGramLinear(options, labels, seed ?? 0, problemType);
        string path = Path.Combine(directory, WeightsFile);
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            int version = reader.ReadInt32();
            if (version != FormatVersion) throw new SentioException($"{path}: format version {version}, expected {FormatVersion}");
            var blocks = model.Blocks().ToArray();
            int blockCount = reader.ReadInt32();
            if (blockCount != blocks.Length) throw new SentioException($"{path}: {blockCount} feature blocks, but model.json configures {blocks.Length}");
            model.vectorizers = blocks.Select(block =>
            {
                int count = reader.ReadInt32();
                var terms = new ulong[count];
                var idf = new float[count];
                for (int i = 0; i < count; i++) terms[i] = reader.ReadUInt64();
                for (int i = 0; i < count; i++) idf[i] = reader.ReadSingle();
                return TfidfNGramVectorizer.FromState(block, terms, idf);
            }).ToArray();
            int labelCount = reader.ReadInt32(), width = reader.ReadInt32();
            if (labelCount != labels.Count || width != model.vectorizers.Sum(v => v.FeatureCount) + 1)
                throw new SentioException($"{path}: weights of shape [{labelCount}, {width}] do not match {labels.Count} labels and the vocabulary");
            model.weights = Enumerable.Range(0, labelCount).Select(_ =>
            {
                var w = new float[width];
                for (int i = 0; i < width; i++) w[i] = reader.ReadSingle();
                return w;
            }).ToArray();
        }
        catch (EndOfStreamException) { throw new SentioException($"{path}: truncated file"); }
        catch (FileNotFoundException) { throw new SentioException($"{path}: not found"); }
        return model;
    }

    public void Dispose() { }

    private IEnumerable<NGramBlockOptions> Blocks() => new[] { Options.WordNgrams, Options.CharNgrams }.OfType<NGramBlockOptions>();

    private CsrMatrix Featurize(IReadOnlyList<string> texts) =>
        CsrMatrix.HorizontalStack(vectorizers.Select(v => v.Transform(texts, Workers)).ToArray(), Workers);

    private ParallelOptions Workers => new() { MaxDegreeOfParallelism = Options.Threads > 0 ? Options.Threads : Environment.ProcessorCount };

    private (double Positive, double Negative) Costs(int positives, int count) => Options.ClassWeight switch
    {
        ClassWeighting.Balanced when positives > 0 && positives < count =>
            (Options.C * count / (2.0 * positives), Options.C * count / (2.0 * (count - positives))),
        _ => (Options.C, Options.C),
    };
}
