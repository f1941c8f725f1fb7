using System.Diagnostics;
using System.Text.Json;
using Sentio.Configuration;
using Sentio.Data;
using Sentio.IO;
using Sentio.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Models;

/// <summary>Options of <see cref="LabelGraphRefiner"/> (a YAML file such as <c>configs/refiner/label-graph.yaml</c>). The graph
/// defaults are ML-GCN's (Chen et al., CVPR 2019: τ = 0.4, p = 0.2).</summary>
public sealed record LabelGraphRefinerOptions : IValidatableOptions
{
    /// <summary>τ: an edge i → j is kept when P(j | i) &gt;= τ on the training labels.</summary>
    public double CooccurrenceThreshold { get; init; } = 0.4;

    /// <summary>p: the share of a label's row that goes to its neighbours; the label itself keeps 1 - p.</summary>
    public double NeighbourWeight { get; init; } = 0.2;

    /// <summary>Size of the learned label embeddings that join each label's base logit as node features.</summary>
    public int EmbeddingSize { get; init; } = 16;

    /// <summary>Width of the first graph-convolution layer.</summary>
    public int HiddenSize { get; init; } = 32;

    /// <summary>α in refined = base + α·Δ: its initial value when learned, else its fixed value.</summary>
    public double Alpha { get; init; } = 0.1;

    public bool LearnAlpha { get; init; } = true;

    public int Epochs { get; init; } = 30;

    public int BatchSize { get; init; } = 256;

    public double LearningRate { get; init; } = 0.003;

    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Epochs without a lower validation loss before training stops (the best epoch's weights are kept).</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Cap on the loss weight of positives, pos_weight = min(negatives / positives, this), per label.</summary>
    public double MaxPositiveWeight { get; init; } = 10;

    /// <summary>Torch intra-op threads while training and refining (restored afterwards); 0 leaves torch's setting.
    /// The tensors are tiny, so extra threads mostly wait on each other: on a busy 2-core machine one thread trained
    /// 50 times faster than two.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>These options as the shared trainer's: constant learning rate, no warmup or clipping, early stopping and
    /// best epoch on the validation loss.</summary>
    public NeuralTrainingOptions TrainingOptions => new()
    {
        Epochs = Epochs,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        WeightDecay = WeightDecay,
        WarmupRatio = 0,
        Schedule = LearningRateSchedule.Constant,
        MaxGradNorm = 0,
        PosWeight = PosWeightMode.Auto,
        PosWeightCap = MaxPositiveWeight,
        EarlyStoppingMetric = EarlyStoppingMetric.ValidationLoss,
        EarlyStoppingPatience = Patience,
        KeepBest = KeptEpoch.ValidationLoss,
        Threads = Threads,
    };

    public IEnumerable<ConfigError> Validate()
    {
        if (!(CooccurrenceThreshold >= 0 && CooccurrenceThreshold <= 1)) yield return new("cooccurrence_threshold", $"expected a number in [0, 1], got {CooccurrenceThreshold}");
        if (!(NeighbourWeight >= 0 && NeighbourWeight <= 1)) yield return new("neighbour_weight", $"expected a number in [0, 1], got {NeighbourWeight}");
        if (EmbeddingSize < 0) yield return new("embedding_size", $"expected an integer >= 0, got {EmbeddingSize}");
        if (HiddenSize < 1) yield return new("hidden_size", $"expected an integer >= 1, got {HiddenSize}");
        if (!double.IsFinite(Alpha)) yield return new("alpha", $"expected a number, got {Alpha}");
        if (Epochs < 1) yield return new("epochs", $"expected an integer >= 1, got {Epochs}");
        if (BatchSize < 1) yield return new("batch_size", $"expected an integer >= 1, got {BatchSize}");
        if (!(LearningRate > 0)) yield return new("learning_rate", $"expected a number > 0, got {LearningRate}");
        if (!(WeightDecay >= 0)) yield return new("weight_decay", $"expected a number >= 0, got {WeightDecay}");
        if (Patience < 1) yield return new("patience", $"expected an integer >= 1, got {Patience}");
        if (Threads < 0) yield return new("threads", $"expected 0 (torch's setting) or a positive integer, got {Threads}");
        if (!(MaxPositiveWeight >= 1)) yield return new("max_positive_weight", $"expected a number >= 1, got {MaxPositiveWeight}");
    }

    /// <summary>Reads and validates an options file; every problem is reported at once, each with its key.</summary>
    /// <exception cref="SentioException">The file is missing, not YAML, or has invalid keys or values.</exception>
    public static LabelGraphRefinerOptions Load(string path)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: refiner options file not found");
        var errors = new List<ConfigError>();
        var options = YamlBinder.Bind<LabelGraphRefinerOptions>(YamlBinder.ParseMapping(File.ReadAllText(path), path), "refiner", errors);
        if (errors.Count > 0) throw new SentioException($"{path}: invalid refiner options: {string.Join("; ", errors)}");
        return options;
    }
}

/// <summary>The label-correlation graph of ML-GCN (Chen et al., CVPR 2019, "Multi-Label Image Recognition with Graph
/// Convolutional Networks", section 3.4), built from training labels only.</summary>
public static class LabelGraph
{
    /// <summary>P(j | i) = count(i and j) / count(i), from a [samples, labels] truth matrix → [labels, labels]; the
    /// diagonal is 1 for labels that occur, and the row of a label that never occurs is 0.</summary>
    public static double[,] ConditionalProbabilities(bool[,] truth)
    {
        int samples = truth.GetLength(0), labels = truth.GetLength(1);
        var counts = new double[labels, labels];
        for (int s = 0; s < samples; s++)
            for (int i = 0; i < labels; i++)
            {
                if (!truth[s, i]) continue;
                for (int j = 0; j < labels; j++) if (truth[s, j]) counts[i, j]++;
            }
        var conditional = new double[labels, labels];
        for (int i = 0; i < labels; i++)
            for (int j = 0; j < labels; j++) conditional[i, j] = counts[i, i] > 0 ? counts[i, j] / counts[i, i] : 0;
        return conditional;
    }

    /// <summary>ML-GCN's re-weighted binary graph A' ([labels, labels] → [labels, labels]): off the diagonal,
    /// A_ij = 1 if P(j | i) &gt;= <paramref name="threshold"/> (τ) else 0, then A'_ij = p · A_ij / Σ_{k≠i} A_ik; on the
    /// diagonal A'_ii = 1 - p (the self-loop). A label without neighbours has only its self-loop 1 - p.</summary>
    /// <param name="neighbourWeight">p.</param>
    public static double[,] Reweighted(double[,] conditional, double threshold, double neighbourWeight)
    {
        int labels = conditional.GetLength(0);
        var reweighted = new double[labels, labels];
        for (int i = 0; i < labels; i++)
        {
            int neighbours = 0;
            for (int j = 0; j < labels; j++) if (j != i && conditional[i, j] >= threshold) neighbours++;
            for (int j = 0; j < labels; j++)
                reweighted[i, j] = j == i ? 1 - neighbourWeight
                    : conditional[i, j] >= threshold ? neighbourWeight / neighbours : 0;
        }
        return reweighted;
    }

    /// <summary>The propagation matrix Â = D^-1/2 · A'ᵀ · D^-1/2 with D = diag(Σ_j A'_ij), exactly as ML-GCN's
    /// <c>gen_adj</c>. The transpose makes row i of Â gather from the labels j whose presence makes i likely
    /// (P(i | j) &gt;= τ), so a confident j raises i. [labels, labels] → [labels, labels].</summary>
    public static double[,] Normalised(double[,] reweighted)
    {
        int labels = reweighted.GetLength(0);
        var inverseRoot = new double[labels];
        for (int i = 0; i < labels; i++)
        {
            double degree = 0;
            for (int j = 0; j < labels; j++) degree += reweighted[i, j];
            inverseRoot[i] = degree > 0 ? 1 / Math.Sqrt(degree) : 0;
        }
        var normalised = new double[labels, labels];
        for (int i = 0; i < labels; i++)
            for (int j = 0; j < labels; j++) normalised[i, j] = inverseRoot[i] * reweighted[j, i] * inverseRoot[j];
        return normalised;
    }

    /// <summary>Â from a [samples, labels] training truth matrix: Normalised(Reweighted(ConditionalProbabilities)).</summary>
    public static double[,] Build(bool[,] truth, double threshold, double neighbourWeight) =>
        Normalised(Reweighted(ConditionalProbabilities(truth), threshold, neighbourWeight));
}

/// <summary>A two-layer dense graph convolution over the label graph, batched: node features [batch, labels, 1 + e]
/// (each label's base logit and its learned embedding) → Δ [batch, labels]; refined logits = base + α·Δ. Module names
/// are checkpoint keys: label_embedding, layer1.{weight,bias}, layer2.{weight,bias}, alpha, adjacency.</summary>
public sealed class LabelGraphNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Parameter label_embedding;
    private readonly Linear layer1;
    private readonly Linear layer2;
    private readonly Parameter alpha;
    private readonly Tensor adjacency;

    /// <param name="adjacency">Â, [labels, labels].</param>
    public LabelGraphNetwork(double[,] adjacency, LabelGraphRefinerOptions options) : base(nameof(LabelGraphNetwork))
    {
        int labels = adjacency.GetLength(0);
        this.adjacency = tensor(adjacency, dtype: float32);
        label_embedding = new Parameter(randn(labels, options.EmbeddingSize) * 0.1f);
        layer1 = nn.Linear(1 + options.EmbeddingSize, options.HiddenSize);
        layer2 = nn.Linear(options.HiddenSize, 1);
        alpha = new Parameter(tensor((float)options.Alpha), requires_grad: options.LearnAlpha);
        register_buffer("adjacency", this.adjacency);
        RegisterComponents();
    }

    /// <summary>The residual weight α.</summary>
    public double Alpha => alpha.ToDouble();

    /// <summary>Refined logits [batch, labels] from base logits [batch, labels] (float32, as every network the shared
    /// <see cref="NeuralTrainer"/> trains).</summary>
    public override Tensor forward(Tensor baseLogits)
    {
        using var scope = NewDisposeScope();
        long batch = baseLogits.shape[0], labels = baseLogits.shape[1];
        var features = cat([baseLogits.unsqueeze(2), label_embedding.unsqueeze(0).expand(batch, labels, -1)], 2); // [batch, labels, 1 + e]
        var hidden = nn.functional.leaky_relu(matmul(adjacency, layer1.call(features)), 0.2);                   // [batch, labels, hidden]
        var delta = matmul(adjacency, layer2.call(hidden)).squeeze(2);                                          // [batch, labels]
        return (baseLogits + alpha * delta).MoveToOuterDisposeScope();
    }
}

/// <summary>The summary of a refiner's training.</summary>
/// <param name="BestEpoch">The epoch whose weights were kept (lowest validation loss).</param>
public sealed record RefinerTrainingSummary(int Epochs, int BestEpoch, double BestValidationLoss, double Alpha, int Edges, double Seconds);

/// <summary>Label-correlation graph refiner (<c>sentio.LabelGraphRefiner.v1</c>): a GCN over the label graph that
/// corrects a base model's logits, refined = base + α·GCN(base, graph) (ML-GCN's label graph; the GCN reads the
/// base logits instead of word embeddings). It wraps its base model: <see cref="PredictProbabilities"/> runs the base
/// and refines its output, so a refined run loads in <c>sentio eval</c> and <c>predict</c> like any other.
/// <para>It must be trained on out-of-fold base scores (<see cref="FitOnScores"/>, fed by a <c>sentio cv</c> run),
/// never on scores of texts the base model was fitted on, which are over-confident, so it has no text-level Fit and
/// is assembled by <c>sentio refine</c> / <c>sentio cv --refiner</c>. Probabilities are turned into logits clipped to ±<see cref="LogitLimit"/>.</para>
/// <para>Folder: <c>model.json</c> (options), <c>graph.json</c> (P(j|i), Â, training summary), <c>refiner.bin</c>
/// (weights), <c>base/</c> (the base model folder).</para></summary>
public sealed class LabelGraphRefiner : IMultiLabelClassifier
{
    public const string ArchitectureName = "sentio.LabelGraphRefiner.v1";

    /// <summary>Base probabilities are clipped to [sigmoid(-L), sigmoid(L)] before the logit.</summary>
    public const double LogitLimit = 27.6;

    private const string WeightsFile = "refiner.bin";
    private const string GraphFile = "graph.json";
    private const string BaseFolder = "base";
    private const int PredictionBatchSize = 2048;

    private readonly LabelGraphNetwork network;
    private readonly double[,] conditional;

    /// <param name="conditional">P(j | i) from the training labels, [labels, labels] (<see cref="LabelGraph.ConditionalProbabilities"/>).</param>
    /// <param name="baseModel">The model whose probabilities are refined (owned and disposed); null refines given scores only.</param>
    /// <param name="seed">Seeds the initialisation and the training shuffles: the base run's config seed.</param>
    public LabelGraphRefiner(LabelGraphRefinerOptions options, IReadOnlyList<string> labelNames, double[,] conditional, IMultiLabelClassifier? baseModel, int seed)
    {
        if (conditional.GetLength(0) != labelNames.Count || conditional.GetLength(1) != labelNames.Count)
            throw new ArgumentException($"conditional probabilities of shape [{conditional.GetLength(0)}, {conditional.GetLength(1)}] for {labelNames.Count} labels", nameof(conditional));
        if (baseModel != null && !baseModel.LabelNames.SequenceEqual(labelNames))
            throw new ArgumentException("The base model's labels differ from the refiner's.", nameof(baseModel));
        Options = options;
        LabelNames = labelNames;
        this.conditional = conditional;
        Adjacency = LabelGraph.Normalised(LabelGraph.Reweighted(conditional, options.CooccurrenceThreshold, options.NeighbourWeight));
        Base = baseModel;
        Seed = seed;
        torch.manual_seed(seed);
        network = new LabelGraphNetwork(Adjacency, options);
        network.eval();
    }

    public string Architecture => ArchitectureName;
    public IReadOnlyList<string> LabelNames { get; }
    public LabelGraphRefinerOptions Options { get; }
    public IMultiLabelClassifier? Base { get; }
    public int Seed { get; }

    /// <summary>Â, [labels, labels].</summary>
    public double[,] Adjacency { get; }

    /// <summary>Edges i → j (i ≠ j) kept in the graph.</summary>
    public int EdgeCount
    {
        get
        {
            int edges = 0;
            for (int i = 0; i < LabelNames.Count; i++)
                for (int j = 0; j < LabelNames.Count; j++) if (i != j && conditional[i, j] >= Options.CooccurrenceThreshold) edges++;
            return edges;
        }
    }

    /// <summary>The trained network (checkpoint keys are its module names).</summary>
    public LabelGraphNetwork Network => network;

    public RefinerTrainingSummary? Training { get; private set; }

    /// <summary>Trains the GCN with the shared <see cref="NeuralTrainer"/>: AdamW on BCE-with-logits of the refined logits
    /// (pos_weight auto, capped at <see cref="LabelGraphRefinerOptions.MaxPositiveWeight"/>), seeded shuffles, a constant
    /// learning rate, early stopping on the validation loss with the lowest-loss epoch's weights kept.</summary>
    /// <param name="trainProbabilities">Out-of-fold base probabilities of the training texts, [train, labels].</param>
    /// <param name="trainTruth">[train, labels].</param>
    /// <param name="validationProbabilities">Base probabilities of the validation texts, [validation, labels].</param>
    /// <param name="validationTruth">[validation, labels].</param>
    public RefinerTrainingSummary FitOnScores(double[,] trainProbabilities, bool[,] trainTruth, double[,] validationProbabilities, bool[,] validationTruth, FitContext context)
    {
        var clock = Stopwatch.StartNew();
        int n = trainProbabilities.GetLength(0);
        if (n == 0) throw new SentioException("refiner: the training scores are empty");
        using var trainLogits = Logits(trainProbabilities);
        using var validationLogits = Logits(validationProbabilities);
        var net = network;
        var train = new NeuralSplit(n, trainTruth, indices => net.call(trainLogits.index_select(0, Rows(indices))));
        var validation = new NeuralSplit(validationTruth.GetLength(0), validationTruth, indices => net.call(validationLogits.index_select(0, Rows(indices))));
        context.Monitor.Log($"refiner: {EdgeCount} edges (τ {Options.CooccurrenceThreshold}, p {Options.NeighbourWeight})");
        var result = new NeuralTrainer(Options.TrainingOptions, Seed).Train(network, train, validation, context.Monitor, cancellation: context.Cancellation);
        network.eval();
        Training = new RefinerTrainingSummary(result.EpochsCompleted, result.BestEpoch ?? result.EpochsCompleted, result.BestValidationLoss ?? double.NaN,
            network.Alpha, EdgeCount, clock.Elapsed.TotalSeconds);
        context.Monitor.Log($"refiner: best epoch {Training.BestEpoch}, validation loss {Training.BestValidationLoss:F5}, α {network.Alpha:F4}, {Training.Seconds:F1} s");
        return Training;
    }

    private static Tensor Rows(IReadOnlyList<int> indices) => tensor(indices.Select(i => (long)i).ToArray());

    /// <summary>Refined probabilities from base probabilities: [texts, labels] → [texts, labels].</summary>
    public double[,] Refine(double[,] baseProbabilities)
    {
        using var threads = TorchThreads.Use(Options.Threads);
        int n = baseProbabilities.GetLength(0), labels = LabelNames.Count;
        if (baseProbabilities.GetLength(1) != labels) throw new ArgumentException($"{baseProbabilities.GetLength(1)} columns for {labels} labels", nameof(baseProbabilities));
        var refined = new double[n, labels];
        network.eval();
        using var noGrad = no_grad();
        using var logits = Logits(baseProbabilities);
        for (int start = 0; start < n; start += PredictionBatchSize)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(PredictionBatchSize, n - start);
            double[] values = network.call(logits.narrow(0, start, count)).sigmoid().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
            for (int i = 0; i < count; i++)
                for (int j = 0; j < labels; j++) refined[start + i, j] = values[i * labels + j];
        }
        return refined;
    }

    /// <summary>[texts] → [texts, labels]: the base model's probabilities, refined.</summary>
    /// <exception cref="InvalidOperationException">The refiner has no base model.</exception>
    public double[,] PredictProbabilities(IReadOnlyList<string> texts) =>
        Refine((Base ?? throw new InvalidOperationException("This refiner has no base model; use Refine on base probabilities.")).PredictProbabilities(texts));

    /// <summary>Saves the options, graph, weights and the base model (under <c>base/</c>).</summary>
    /// <exception cref="InvalidOperationException">The refiner has no base model.</exception>
    public void Save(string directory)
    {
        if (Base == null) throw new InvalidOperationException("A refiner is saved with its base model; this one has none.");
        Directory.CreateDirectory(directory);
        Base.Save(Path.Combine(directory, BaseFolder));
        AtomicFile.Write(Path.Combine(directory, WeightsFile), stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            network.save(writer);
        });
        AtomicFile.WriteJson(Path.Combine(directory, GraphFile), new GraphFileContent(
            LabelNames, ToJagged(conditional), ToJagged(Adjacency), EdgeCount, Training));
        ModelManifest.Write(directory, ArchitectureName, LabelNames, Options, Seed);
    }

    /// <summary>Loads a refiner saved by <see cref="Save"/>, with its base model.</summary>
    /// <exception cref="SentioException">A file is missing or does not match model.json.</exception>
    /// <param name="loadBase">Loads the base model folder (the catalog's Load).</param>
    public static LabelGraphRefiner Load(string directory, Func<string, IMultiLabelClassifier> loadBase)
    {
        var (labels, options, seed, _) = ModelManifest.Read<LabelGraphRefinerOptions>(directory);
        string graphPath = Path.Combine(directory, GraphFile);
        if (!File.Exists(graphPath)) throw new SentioException($"{graphPath}: not found");
        var graph = JsonSerializer.Deserialize<GraphFileContent>(File.ReadAllText(graphPath), AtomicFile.Json)
            ?? throw new SentioException($"{graphPath}: empty");
        if (graph.Conditional.Length != labels.Count || graph.Conditional.Any(row => row.Length != labels.Count))
            throw new SentioException($"{graphPath}: 'conditional' is not a {labels.Count}×{labels.Count} matrix");
        var conditional = new double[labels.Count, labels.Count];
        for (int i = 0; i < labels.Count; i++)
            for (int j = 0; j < labels.Count; j++) conditional[i, j] = graph.Conditional[i][j];
        string weights = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weights)) throw new SentioException($"{weights}: not found");
        var baseModel = loadBase(Path.Combine(directory, BaseFolder));
        var refiner = new LabelGraphRefiner(options, labels, conditional, baseModel, seed ?? 0) { Training = graph.Training };
        refiner.network.load(weights, strict: true);
        refiner.network.eval();
        return refiner;
    }

    /// <summary>The refiner's own parameters plus its base model's.</summary>
    public long ParameterCount => network.parameters().Sum(p => p.numel()) + (Base?.ParameterCount ?? 0);

    public void Dispose()
    {
        network.Dispose();
        Base?.Dispose();
    }

    /// <summary>Clipped logits as a float32 tensor: [n, labels] probabilities → [n, labels].</summary>
    private static Tensor Logits(double[,] probabilities)
    {
        double low = 1 / (1 + Math.Exp(LogitLimit)), high = 1 - low;
        int n = probabilities.GetLength(0), labels = probabilities.GetLength(1);
        var values = new float[n * labels];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < labels; j++)
            {
                double p = Math.Clamp(probabilities[i, j], low, high);
                values[i * labels + j] = (float)Math.Log(p / (1 - p));
            }
        return tensor(values, [n, labels]);
    }

    private static double[][] ToJagged(double[,] matrix) =>
        Enumerable.Range(0, matrix.GetLength(0)).Select(i => Enumerable.Range(0, matrix.GetLength(1)).Select(j => matrix[i, j]).ToArray()).ToArray();

    private sealed record GraphFileContent(
        IReadOnlyList<string> Labels, double[][] Conditional, double[][] Adjacency, int Edges, RefinerTrainingSummary? Training);
}
