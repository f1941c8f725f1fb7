using Sentio.Catalog;
using Sentio.Data;
using Sentio.Text;
using Sentio.Models;
using Sentio.Training;

namespace Sentio.Tests.Models;

/// <summary>One suite of checks run on every model kind, as scikit-learn's <c>estimator_checks</c>: the predictor contract on
/// all of them (trained models, ensembles, the refiner), the trainable contract on those a config trains.</summary>
[Collection(TorchRandomCollection.Name)]
public class ClassifierContractTests
{
    private static readonly string[] Probe = ["i am so happy", "tears and grief", "", "the day is very glad and sad"];

    private static readonly string Vocabulary = FineTuningFixtures.WriteVocabulary(TestPaths.NewTempDirectory());

    /// <summary>"-single": the model with problem_type single_label_classification, fitted on <see cref="SingleLabelToy"/>.</summary>
    public static TheoryData<string> TrainableKinds => new() { "linear", "bilstm", "transformer", "linear-single", "bilstm-single", "transformer-single" };

    public static TheoryData<string> AllKinds => new() { "linear", "bilstm", "transformer", "linear-single", "bilstm-single", "transformer-single", "ensemble", "refiner" };

    public static TheoryData<string> SingleLabelKinds => new() { "linear-single", "bilstm-single", "transformer-single" };

    public static TheoryData<string> CheckpointingKinds => new() { "bilstm", "transformer" };

    private static bool IsSingle(string kind) => kind.EndsWith("-single", StringComparison.Ordinal);

    /// <summary><see cref="FineTuningFixtures.Toy"/> without its two texts that have both labels.</summary>
    private static MultiLabelDataset SingleLabelToy()
    {
        var toy = FineTuningFixtures.Toy();
        return new MultiLabelDataset(toy.LabelNames, toy.Examples.Where(e => e.Labels.Length == 1).ToArray());
    }

    private static MultiLabelDataset Toy(string kind) => IsSingle(kind) ? SingleLabelToy() : FineTuningFixtures.Toy();

    private static ITrainableClassifier Unfitted(string kind, int seed, IReadOnlyList<string>? labels = null)
    {
        labels ??= FineTuningFixtures.Labels;
        var problem = IsSingle(kind) ? ProblemType.SingleLabelClassification : ProblemType.MultiLabelClassification;
        var loss = IsSingle(kind) ? NeuralLoss.CrossEntropy : NeuralLoss.Bce;
        return kind.Split('-')[0] switch
        {
            "linear" => new NGramLinear(new NGramLinearOptions { WordNgrams = new() { Analyzer = NGramAnalyzer.Word, MaxN = 1, MinDocumentFrequency = 1 }, CharNgrams = null }, labels, seed, problem),
            "bilstm" => new BiLstmClassifier(new BiLstmOptions
            {
                EmbeddingDim = 6, HiddenSize = 4, MinFrequency = 1,
                Training = new NeuralTrainingOptions { Epochs = 3, BatchSize = 4, EarlyStoppingPatience = 0, Threads = 1, Loss = loss },
            }, labels, seed, problem),
            "transformer" => new TransformerClassifier(FineTuningFixtures.Scratch(Vocabulary) with
            {
                Training = FineTuningFixtures.Scratch(Vocabulary).Training with { Epochs = 3, Loss = loss },
            }, labels, seed, problem),
            _ => throw new ArgumentException(kind),
        };
    }

    private static ITrainableClassifier Fitted(string kind, int seed)
    {
        var model = Unfitted(kind, seed);
        model.Fit(Toy(kind), Toy(kind), FitContext.Silent);
        return model;
    }

    private static IMultiLabelClassifier Any(string kind)
    {
        if (kind == "ensemble") return new EnsembleClassifier([Fitted("linear", 1), Fitted("linear", 2)], [1, 3]);
        if (kind != "refiner") return Fitted(kind, 1);
        var data = FineTuningFixtures.Toy();
        var baseModel = Fitted("linear", 1);
        var scores = baseModel.PredictProbabilities(data.Texts);
        var refiner = new LabelGraphRefiner(new LabelGraphRefinerOptions { CooccurrenceThreshold = 0.1, Epochs = 3, BatchSize = 4 },
            data.LabelNames, LabelGraph.ConditionalProbabilities(data.LabelMatrix()), baseModel, seed: 1);
        refiner.FitOnScores(scores, data.LabelMatrix(), scores, data.LabelMatrix(), FitContext.Silent);
        return refiner;
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Probabilities_are_texts_by_labels_in_the_unit_interval(string kind)
    {
        using var model = Any(kind);
        var probabilities = model.PredictProbabilities(Probe);
        Assert.Equal([Probe.Length, FineTuningFixtures.Labels.Length], new[] { probabilities.GetLength(0), probabilities.GetLength(1) });
        Assert.All(probabilities.Cast<double>(), p => Assert.InRange(p, 0.0, 1.0));
        Assert.Equal(FineTuningFixtures.Labels, model.LabelNames);
        Assert.True(model.ParameterCount > 0);
        Assert.Equal([0, 2], new[] { model.PredictProbabilities([]).GetLength(0), model.PredictProbabilities([]).GetLength(1) });
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Save_then_load_gives_bit_identical_probabilities(string kind)
    {
        using var model = Any(kind);
        string folder = TestPaths.NewTempDirectory();
        model.Save(folder);
        using var loaded = ModelCatalog.Load(folder);
        Assert.Equal(model.Architecture, loaded.Architecture);
        Assert.Equal(model.ParameterCount, loaded.ParameterCount);
        Assert.Equal(model.PredictProbabilities(Probe), loaded.PredictProbabilities(Probe));
    }

    [Theory]
    [MemberData(nameof(TrainableKinds))]
    public void The_same_seed_gives_the_same_model(string kind)
    {
        using var first = Fitted(kind, 7);
        using var second = Fitted(kind, 7);
        Assert.Equal(first.PredictProbabilities(Probe), second.PredictProbabilities(Probe));
    }

    [Theory]
    [MemberData(nameof(TrainableKinds))]
    public void An_empty_training_split_is_a_clear_error(string kind)
    {
        using var model = Unfitted(kind, 1);
        var error = Assert.Throws<SentioException>(() => model.Fit(new MultiLabelDataset(FineTuningFixtures.Labels, []), null, FitContext.Silent));
        Assert.Equal("training split: no examples to train on", error.Message);
    }

    [Theory]
    [MemberData(nameof(TrainableKinds))]
    public void Validation_labels_that_differ_from_training_are_a_clear_error(string kind)
    {
        using var model = Unfitted(kind, 1);
        var validation = new MultiLabelDataset(["joy", "anger"], [new TextExample(null, "so glad", [0])]);
        var error = Assert.Throws<SentioException>(() => model.Fit(Toy(kind), validation, FitContext.Silent));
        Assert.Equal("validation split: labels joy,anger differ from the model's joy,sadness", error.Message);
    }

    [Theory]
    [MemberData(nameof(TrainableKinds))]
    public void A_cancelled_fit_stops_with_OperationCanceledException(string kind)
    {
        using var model = Unfitted(kind, 1);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            model.Fit(Toy(kind), null, new FitContext(SilentMonitor.Instance, Cancellation: cancelled.Token)));
    }

    [Theory]
    [MemberData(nameof(SingleLabelKinds))]
    public void A_single_label_model_predicts_a_softmax_keeps_its_problem_type_and_refuses_a_row_with_two_labels(string kind)
    {
        using var model = Fitted(kind, 1);
        var probabilities = model.PredictProbabilities(Probe);
        for (int i = 0; i < Probe.Length; i++) Assert.Equal(1.0, probabilities[i, 0] + probabilities[i, 1], 6);
        string folder = TestPaths.NewTempDirectory();
        model.Save(folder);
        using var loaded = ModelCatalog.Load(folder);
        Assert.Equal(ProblemType.SingleLabelClassification, loaded.ProblemType);

        using var fresh = Unfitted(kind, 1);
        var toy = FineTuningFixtures.Toy();
        var withSource = new MultiLabelDataset(toy.LabelNames, toy.Examples.Select((e, i) => e with { Source = "toy.txt", Line = i + 1 }).ToArray());
        var error = Assert.Throws<SentioException>(() => fresh.Fit(withSource, null, FitContext.Silent));
        Assert.Equal("toy.txt:11: 2 labels (joy, sadness); a single-label dataset has exactly one class per text", error.Message);
    }

    [Theory]
    [MemberData(nameof(CheckpointingKinds))]
    public void Cancellation_stops_within_one_step_and_leaves_a_checkpoint_that_resumes_to_the_uninterrupted_model(string kind)
    {
        using var straight = Fitted(kind, 3);

        string checkpoints = TestPaths.NewTempDirectory();
        var steps = new StepCounter(cancelAfter: 5);
        using (var stopped = Unfitted(kind, 3))
            Assert.ThrowsAny<OperationCanceledException>(() =>
                stopped.Fit(FineTuningFixtures.Toy(), FineTuningFixtures.Toy(), new FitContext(steps, checkpoints, steps.Token)));
        Assert.Equal(5, steps.Steps); // the step under way when cancelled was the last one

        using var resumed = Unfitted(kind, 3);
        resumed.Fit(FineTuningFixtures.Toy(), FineTuningFixtures.Toy(), new FitContext(SilentMonitor.Instance, checkpoints));
        Assert.Equal(straight.PredictProbabilities(Probe), resumed.PredictProbabilities(Probe));
    }

    /// <summary>Counts training steps (Advance calls of epoch stages) and cancels after <paramref name="cancelAfter"/>.</summary>
    private sealed class StepCounter(int cancelAfter) : ITrainingMonitor
    {
        private readonly CancellationTokenSource source = new();
        private bool inEpoch;
        public int Steps { get; private set; }
        public CancellationToken Token => source.Token;
        public void BeginStage(string name, int total) => inEpoch = name.StartsWith("epoch", StringComparison.Ordinal);
        public void Advance(int steps = 1)
        {
            if (!inEpoch) return;
            Steps += steps;
            if (Steps == cancelAfter) source.Cancel();
        }
        public void Log(string message) { }
        public void EpochEnded(EpochSummary summary) { }
    }
}
