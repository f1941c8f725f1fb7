using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sentio.Data;
using Sentio.Inference;
using Sentio.Models;
using Sentio.Reporting;
using Sentio.Runs;
using Sentio.Tests.Cli;
using Sentio.Tests.Serving;
using Sentio.Training;

namespace Sentio.Tests.Runs;

/// <summary>A CARER / dair-ai "emotion" look-alike: GoEmotions (Ekman taxonomy) rows that have exactly one label, written
/// headerless as <c>text;label</c> into train.txt, validation.txt and test.txt.</summary>
public static class CarerLookAlike
{
    private static readonly string Ekman = Path.Combine(TestPaths.SharedData, "goemotions", "ekman");

    /// <summary>Writes the three files into <paramref name="folder"/>: the first one-label rows of GoEmotions' train, dev
    /// and test without ';' or '"' (CARER texts have neither).</summary>
    public static void Write(string folder, int train, int validation, int test)
    {
        var names = GoEmotionsTsvReader.ReadLabelNames(Path.Combine(Ekman, "labels.txt"));
        foreach (var (source, target, count) in new[] { ("train.tsv", "train.txt", train), ("dev.tsv", "validation.txt", validation), ("test.tsv", "test.txt", test) })
        {
            var rows = GoEmotionsTsvReader.Read(Path.Combine(Ekman, source), names).Examples
                .Where(e => e.Labels.Length == 1 && e.Text.IndexOfAny([';', '"']) < 0).Take(count);
            File.WriteAllLines(Path.Combine(folder, target), rows.Select(e => $"{e.Text};{names[e.Labels[0]]}"));
        }
    }

    public const string Data = """
        data:
          train: train.txt
          validation: validation.txt
          test: test.txt
        """;
}

/// <summary>A single-label linear run on the CARER look-alike (1,500 / 300 / 300 texts) and the same data trained
/// multi-label, each once for the tests below.</summary>
public sealed class CarerRunsFixture
{
    public CarerRunsFixture()
    {
        Folder = TestPaths.NewTempDirectory();
        CarerLookAlike.Write(Folder, 1500, 300, 300);
        var single = TrainConfig.Parse($"seed: 3\nproblem_type: single_label_classification\n{CarerLookAlike.Data}\nmodel:\n  architecture: sentio.NGramLinear.v1\n", "carer.yaml");
        SingleLabel = TrainingRun.Execute(single, Folder, Path.Combine(Folder, "runs"), null, SilentMonitor.Instance);
        var multi = TrainConfig.Parse($"seed: 3\n{CarerLookAlike.Data}\nmodel:\n  architecture: sentio.NGramLinear.v1\n", "carer-multi.yaml");
        MultiLabelMonitor = new RecordingMonitor();
        MultiLabel = TrainingRun.Execute(multi, Folder, Path.Combine(Folder, "runs"), null, MultiLabelMonitor);
    }

    public string Folder { get; }
    public TrainingRunResult SingleLabel { get; }
    public TrainingRunResult MultiLabel { get; }
    public RecordingMonitor MultiLabelMonitor { get; }
}

/// <summary>problem_type: single_label_classification end to end: training by config alone with each model kind, the
/// metrics files against a computation by hand on the saved predictions, predict, eval, report, compare, serve.</summary>
public class SingleLabelRunTests(CarerRunsFixture runs) : IClassFixture<CarerRunsFixture>
{
    /// <summary>The saved predictions CSV read by hand: one-hot truth columns, then probability columns.</summary>
    private static (string[] Labels, int[] Truth, double[][] Probabilities) ReadPredictions(string path)
    {
        string[] lines = File.ReadAllLines(path);
        string[] header = lines[0].Split(',');
        int labels = (header.Length - 1) / 2;
        string[] names = header.Skip(1).Take(labels).Select(h => h[..^"_true".Length]).ToArray();
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        int[] truth = rows.Select(r => Array.IndexOf(r, "1", 1, labels) - 1).ToArray();
        double[][] probabilities = rows.Select(r => r.Skip(1 + labels).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        return (names, truth, probabilities);
    }

    private static int ArgMax(double[] row) => Array.IndexOf(row, row.Max());

    /// <summary>Every figure of metrics/{split}.json recomputed by hand from predictions/{split}.csv: accuracy, per-class
    /// precision / recall / F1 / support, their macro and weighted means, micro-F1 and the confusion matrix.</summary>
    private static void AssertMetricsMatchPredictions(RunDirectory run, string split)
    {
        var (names, truth, probabilities) = ReadPredictions(run.Predictions(split));
        int n = truth.Length, k = names.Length;
        Assert.All(truth, t => Assert.InRange(t, 0, k - 1));
        Assert.All(probabilities, row => Assert.Equal(1.0, row.Sum(), 9)); // a softmax
        int[] predicted = probabilities.Select(ArgMax).ToArray();
        var confusion = new int[k, k];
        for (int i = 0; i < n; i++) confusion[truth[i], predicted[i]]++;
        double accuracy = Enumerable.Range(0, n).Count(i => truth[i] == predicted[i]) / (double)n;
        var precision = new double[k];
        var recall = new double[k];
        var f1 = new double[k];
        var support = new int[k];
        for (int c = 0; c < k; c++)
        {
            int tp = confusion[c, c], predictedCount = Enumerable.Range(0, k).Sum(t => confusion[t, c]);
            support[c] = Enumerable.Range(0, k).Sum(p => confusion[c, p]);
            precision[c] = predictedCount == 0 ? 0 : tp / (double)predictedCount;
            recall[c] = support[c] == 0 ? 0 : tp / (double)support[c];
            f1[c] = precision[c] + recall[c] == 0 ? 0 : 2 * precision[c] * recall[c] / (precision[c] + recall[c]);
        }

        var json = JsonDocument.Parse(File.ReadAllText(run.MetricsFile(split, "json"))).RootElement;
        Assert.Equal("single_label_classification", json.GetProperty("problem_type").GetString());
        Assert.Equal(n, json.GetProperty("samples").GetInt32());
        Assert.Equal(accuracy, json.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(f1.Average(), json.GetProperty("macro_avg").GetProperty("f1").GetDouble(), 12);
        Assert.Equal(Enumerable.Range(0, k).Sum(c => f1[c] * support[c]) / n, json.GetProperty("weighted_avg").GetProperty("f1").GetDouble(), 12);
        Assert.Equal(accuracy, json.GetProperty("micro_avg").GetProperty("f1").GetDouble(), 12);
        var perClass = json.GetProperty("per_class").EnumerateArray().ToArray();
        Assert.Equal(names, perClass.Select(c => c.GetProperty("name").GetString()));
        for (int c = 0; c < k; c++)
        {
            Assert.Equal(precision[c], perClass[c].GetProperty("precision").GetDouble(), 12);
            Assert.Equal(recall[c], perClass[c].GetProperty("recall").GetDouble(), 12);
            Assert.Equal(support[c], perClass[c].GetProperty("support").GetInt32());
        }
        var matrix = json.GetProperty("confusion_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (int t = 0; t < k; t++)
            for (int p = 0; p < k; p++) Assert.Equal(confusion[t, p], matrix[t][p]);
        string table = File.ReadAllText(run.MetricsFile(split, "txt"));
        Assert.Contains($"accuracy  {"",9}  {"",9}  {accuracy.ToString("0.0000", CultureInfo.InvariantCulture),9}  {n,9}", table);
        Assert.Contains("confusion matrix (rows: true class, columns: predicted class)", table);
    }

    [Fact]
    public void LinearRunTrainsByConfigAloneAndItsMetricsEqualAHandComputation()
    {
        var run = runs.SingleLabel.Run;
        foreach (string split in new[] { "validation", "test" }) AssertMetricsMatchPredictions(run, split);
        Assert.False(File.Exists(run.Thresholds));
        Assert.Equal("single_label_classification", JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Model, "model.json"))).RootElement.GetProperty("problem_type").GetString());
        var summary = RunWriter.ReadSummary(run)!;
        Assert.Equal("argmax", summary.ThresholdStrategy);
        Assert.Equal("single_label_classification", summary.ProblemType);
        Assert.Equal(runs.SingleLabel.SingleLabelTest!.Accuracy, summary.TestAccuracy);
        Assert.Equal(["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"], File.ReadAllLines(run.Labels));

        // Loading the model back gives the saved test probabilities (written with round-trip precision).
        using var model = Catalog.ModelCatalog.Load(run.Model);
        Assert.Equal(ProblemType.SingleLabelClassification, model.ProblemType);
        var (_, _, saved) = ReadPredictions(run.Predictions("test"));
        var texts = File.ReadAllLines(Path.Combine(runs.Folder, "test.txt")).Select(l => l[..l.LastIndexOf(';')]).ToArray();
        var again = model.PredictProbabilities(texts);
        for (int i = 0; i < texts.Length; i++)
            for (int j = 0; j < saved[i].Length; j++) Assert.Equal(saved[i][j], again[i, j], 12);
    }

    [Fact]
    public void MultiLabelModeLogsOneHintAndStaysMultiLabel()
    {
        var hints = runs.MultiLabelMonitor.Lines.Where(l => l.StartsWith("hint:", StringComparison.Ordinal)).ToArray();
        Assert.Single(hints);
        Assert.Contains("problem_type: single_label_classification", hints[0]);
        Assert.True(File.Exists(runs.MultiLabel.Run.Thresholds));
        Assert.NotNull(runs.MultiLabel.Test);
        Assert.Null(runs.MultiLabel.SingleLabelTest);
        Assert.DoesNotContain(File.ReadAllLines(runs.SingleLabel.Run.Log), l => l.Contains("hint:"));
    }

    [Fact]
    public void PredictPrintsOneLabelPerTextAndTheCsvKeepsEveryProbability()
    {
        string[] texts = ["I am so happy for you!", "This is disgusting.", "I miss her so much."];
        var (exit, output, error) = CliRunner.Run(["predict", "--model-path", runs.SingleLabel.Run.Path, .. texts.SelectMany(t => new[] { "--text", t })]);
        Assert.True(exit == 0, error);
        var printed = output.Split('\n').Where(l => l.StartsWith("  label:", StringComparison.Ordinal)).Select(l => l["  label:".Length..].Trim()).ToArray();
        using var predictor = Predictor.Load(runs.SingleLabel.Run.Path);
        var probabilities = predictor.PredictProbabilities(texts);
        var expected = Enumerable.Range(0, texts.Length)
            .Select(i => predictor.LabelNames[ArgMax(Enumerable.Range(0, predictor.LabelNames.Count).Select(j => probabilities[i, j]).ToArray())]).ToArray();
        Assert.Equal(expected, printed);
        Assert.DoesNotContain("labels:", output);

        string input = Path.Combine(TestPaths.NewTempDirectory(), "texts.txt");
        File.WriteAllLines(input, texts);
        string target = Path.ChangeExtension(input, ".csv");
        (exit, _, error) = CliRunner.Run("predict", "--model-path", runs.SingleLabel.Run.Path, "--input", input, "--output", target);
        Assert.True(exit == 0, error);
        string[] lines = File.ReadAllLines(target);
        Assert.Equal(["id", .. predictor.LabelNames.Select(l => $"{l}_probability"), .. predictor.LabelNames, "label"], lines[0].Split(','));
        Assert.Equal(expected, lines.Skip(1).Select(l => l.Split(',')[^1]));
    }

    [Fact]
    public void EvalReportAndTuneThresholdsKnowTheProblemType()
    {
        var run = runs.SingleLabel.Run;
        string folder = TestPaths.NewTempDirectory();
        var (exit, output, error) = CliRunner.Run("eval", "--model-path", run.Path, "--output-dir", folder);
        Assert.True(exit == 0, error);
        Assert.Contains("confusion matrix (rows: true class, columns: predicted class)", output);
        // eval on the test split recomputes what training saved.
        var saved = JsonDocument.Parse(File.ReadAllText(run.MetricsFile("test", "json"))).RootElement;
        var evaluated = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json"))).RootElement;
        Assert.Equal(saved.GetProperty("accuracy").GetDouble(), evaluated.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(saved.GetProperty("confusion_matrix").ToString(), evaluated.GetProperty("confusion_matrix").ToString());

        var files = RunReport.Write(run, "test", TestPaths.NewTempDirectory());
        string markdown = File.ReadAllText(files.Markdown);
        var matrix = saved.GetProperty("confusion_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        string[] names = File.ReadAllLines(run.Labels);
        Assert.Contains("## Confusion matrix (rows: true class, columns: predicted class)", markdown);
        Assert.Contains($"| {names[0]} | {string.Join(" | ", matrix[0])} |", markdown);
        Assert.Contains($"| accuracy | {saved.GetProperty("accuracy").GetDouble().ToString("0.0000", CultureInfo.InvariantCulture)} |", markdown);
        Assert.Contains("background: rgba(31, 119, 180,", File.ReadAllText(files.Html)); // the shaded (heatmap) matrix
        Assert.DoesNotContain("ROC", markdown);

        (exit, _, error) = CliRunner.Run("tune-thresholds", "--model-path", run.Path);
        Assert.Equal(1, exit);
        Assert.Contains("a single_label_classification run predicts the most probable label and has no thresholds to tune", error);
    }

    [Fact]
    public void CompareShowsAccuracyForSingleLabelRunsAndRefusesToMixProblemTypes()
    {
        var comparison = RunComparison.Of([runs.SingleLabel.Run.Path]);
        Assert.True(comparison.SingleLabel);
        var test = runs.SingleLabel.SingleLabelTest!;
        string md = comparison.ToMarkdown();
        Assert.Contains("| accuracy | macro-F1 | weighted-F1 | micro-F1 |", md);
        Assert.Contains($"| {test.Accuracy.ToString("0.0000", CultureInfo.InvariantCulture)} | {test.Macro.F1.ToString("0.0000", CultureInfo.InvariantCulture)} | {test.Weighted.F1.ToString("0.0000", CultureInfo.InvariantCulture)} |", md);

        var error = Assert.Throws<SentioException>(() => RunComparison.Of([runs.SingleLabel.Run.Path, runs.MultiLabel.Run.Path]));
        Assert.StartsWith($"compare: {Path.GetFileName(runs.SingleLabel.Run.Path)} is a single-label run", error.Message);
        Assert.Contains("compare each kind separately", error.Message);
    }

    [Fact]
    public void CrossValidationAndEnsemblesAreMultiLabelOnly()
    {
        var config = TrainConfig.Load(runs.SingleLabel.Run.Config);
        var error = Assert.Throws<SentioException>(() => CrossValidation.Execute(config, 3, runs.Folder, TestPaths.NewTempDirectory(), null, SilentMonitor.Instance));
        Assert.Equal("config: problem_type: single_label_classification; 'sentio cv' tunes thresholds over per-label sigmoids and works on multi-label runs only", error.Message);
        error = Assert.Throws<SentioException>(() => RunEnsemble.Execute([runs.MultiLabel.Run.Path, runs.SingleLabel.Run.Path], EnsembleWeighting.Equal, TestPaths.NewTempDirectory()));
        Assert.StartsWith($"{runs.SingleLabel.Run.Config}: problem_type: single_label_classification; 'sentio ensemble'", error.Message);
    }

    [Fact]
    public async Task ServeAnswersTheOneMostProbableLabel()
    {
        await using var server = await TestServer.StartAsync(runs.SingleLabel.Run.Path);
        string[] texts = ["I am so happy for you!", "That was terrifying."];
        var body = await server.PostJsonAsync("/v1/predict", $"{{\"texts\": {JsonSerializer.Serialize(texts)}}}", HttpStatusCode.OK);
        using var predictor = Predictor.Load(runs.SingleLabel.Run.Path);
        var expected = predictor.Predict(texts);
        var predictions = body.GetProperty("predictions").EnumerateArray().ToArray();
        for (int i = 0; i < texts.Length; i++)
        {
            string label = predictions[i].GetProperty("label").GetString()!;
            Assert.Equal([label], predictions[i].GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
            Assert.Equal(predictor.LabelNames[ArgMax(expected[i].Probabilities.ToArray())], label);
        }
        var labels = await server.GetJsonAsync("/v1/labels");
        Assert.Equal("argmax", labels.GetProperty("strategy").GetString());
        var refused = await server.PostJsonAsync("/v1/predict", "{\"texts\": [\"hi\"], \"threshold\": 0.3}", HttpStatusCode.BadRequest);
        Assert.Contains("single_label_classification", refused.GetProperty("error").GetString());
    }
}

/// <summary>The neural models in single-label mode, trained by config alone for a few steps on a small CARER look-alike,
/// and the config and data errors of the mode.</summary>
[Collection(TorchRandomCollection.Name)]
public class SingleLabelNeuralRunTests
{
    private static void AssertSoftmaxRun(TrainingRunResult result, string folder)
    {
        var run = result.Run;
        Assert.NotNull(result.SingleLabelTest);
        Assert.True(File.Exists(run.MetricsFile("test", "json")) && File.Exists(run.MetricsFile("test", "txt")));
        string[] lines = File.ReadAllLines(run.Predictions("test"));
        int labels = (lines[0].Split(',').Length - 1) / 2;
        var probabilities = lines.Skip(1).Select(l => l.Split(',').Skip(1 + labels).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.All(probabilities, row => Assert.Equal(1.0, row.Sum(), 5)); // a float32 softmax
        // Accuracy by hand from the saved truth and the argmax of the saved probabilities.
        int correct = lines.Skip(1).Select((l, i) => Array.IndexOf(l.Split(','), "1", 1, labels) - 1 == Array.IndexOf(probabilities[i], probabilities[i].Max()) ? 1 : 0).Sum();
        var json = JsonDocument.Parse(File.ReadAllText(run.MetricsFile("test", "json"))).RootElement;
        Assert.Equal(correct / (double)probabilities.Length, json.GetProperty("accuracy").GetDouble(), 12);

        using var predictor = Predictor.Load(run.Path);
        var (exit, output, error) = CliRunner.Run("predict", "--model-path", run.Path, "--text", "i am so happy", "--text", "this is awful");
        Assert.True(exit == 0, error);
        Assert.Equal(2, output.Split('\n').Count(l => l.StartsWith("  label:", StringComparison.Ordinal)));
        var texts = File.ReadAllLines(Path.Combine(folder, "test.txt")).Select(l => l[..l.LastIndexOf(';')]).ToArray();
        var again = predictor.PredictProbabilities(texts);
        for (int i = 0; i < texts.Length; i++)
            for (int j = 0; j < labels; j++) Assert.Equal(probabilities[i][j], again[i, j], 6);
    }

    [Fact]
    public void TinyBiLstmTrainsWithSoftmaxCrossEntropy()
    {
        string folder = TestPaths.NewTempDirectory();
        CarerLookAlike.Write(folder, 200, 60, 60);
        var config = TrainConfig.Parse($$"""
            seed: 4
            problem_type: single_label_classification
            {{CarerLookAlike.Data}}
            model:
              architecture: sentio.BiLstmClassifier.v1
              embedding_dim: 8
              hidden_size: 8
              min_frequency: 1
              max_length: 24
              training: { epochs: 2, batch_size: 32, loss: cross_entropy, threads: 1 }
            """, "bilstm.yaml");
        var monitor = new RecordingMonitor();
        var result = TrainingRun.Execute(config, folder, Path.Combine(folder, "runs"), null, monitor);
        Assert.Contains(monitor.Lines, l => l.StartsWith("class weights (balanced, cap 10)", StringComparison.Ordinal));
        AssertSoftmaxRun(result, folder);
    }

    [Fact]
    public void TinyTransformerTrainsWithSoftmaxAndExportsSingleLabelClassification()
    {
        string folder = TestPaths.NewTempDirectory();
        CarerLookAlike.Write(folder, 120, 40, 40);
        // A whole-word WordPiece vocabulary of the training texts' words.
        var words = File.ReadAllLines(Path.Combine(folder, "train.txt"))
            .SelectMany(l => Regex.Matches(l[..l.LastIndexOf(';')].ToLowerInvariant(), @"\w+").Select(m => m.Value)).Distinct().Take(400);
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(words));
        var config = TrainConfig.Parse($$"""
            seed: 2
            problem_type: single_label_classification
            {{CarerLookAlike.Data}}
            model:
              architecture: sentio.TransformerClassifier.v1
              from_scratch: { layers: 1, hidden: 16, heads: 2, intermediate: 32, max_position_embeddings: 32, vocab: {{Path.Combine(folder, "vocab.txt")}} }
              pooling: mean
              max_length: 32
              training: { epochs: 1, batch_size: 40, loss: focal, pos_weight: none, threads: 1 }
            """, "transformer.yaml");
        var result = TrainingRun.Execute(config, folder, Path.Combine(folder, "runs"), null, SilentMonitor.Instance);
        AssertSoftmaxRun(result, folder);

        string hfConfig = Path.Combine(result.Run.Model, TransformerClassifier.HuggingFaceFolder, "config.json");
        Assert.Equal("single_label_classification", JsonDocument.Parse(File.ReadAllText(hfConfig)).RootElement.GetProperty("problem_type").GetString());
        using var imported = TransformerClassifier.FromHuggingFace(Path.Combine(result.Run.Model, TransformerClassifier.HuggingFaceFolder));
        Assert.Equal(ProblemType.SingleLabelClassification, imported.ProblemType);
    }

    [Fact]
    public void ARowWithTwoLabelsIsAnErrorNamingTheRow()
    {
        string folder = TestPaths.NewTempDirectory();
        CarerLookAlike.Write(folder, 50, 20, 20);
        var lines = File.ReadAllLines(Path.Combine(folder, "train.txt"));
        lines[2] = "i am happy and furious;joy,anger";
        File.WriteAllLines(Path.Combine(folder, "train.txt"), lines);
        var config = TrainConfig.Parse($"problem_type: single_label_classification\n{CarerLookAlike.Data}\n", "carer.yaml");
        var error = Assert.Throws<SentioException>(() => TrainingRun.Execute(config, folder, Path.Combine(folder, "runs"), null, SilentMonitor.Instance));
        Assert.Equal("train.txt:3: 2 labels (anger, joy); a single-label dataset has exactly one class per text", error.Message);
    }

    [Fact]
    public void ConfigErrorsNameTheKey()
    {
        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse("""
            problem_type: single_label_classification
            data: { train: train.txt }
            model: { architecture: sentio.BiLstmClassifier.v1, training: { focal_alpha: 0.25 } }
            thresholds: { strategy: global }
            """, "c.yaml"));
        Assert.Contains("model.training.loss: bce is the multi-label loss, but problem_type is single_label_classification; set loss: cross_entropy (or focal)", error.Message);
        Assert.Contains("model.training.focal_alpha: 0.25 balances positives against negatives", error.Message);
        Assert.Contains("thresholds: a single_label_classification run predicts the most probable label and tunes no thresholds; remove the section", error.Message);
        Assert.StartsWith("c.yaml: invalid config (3 problems)", error.Message);

        error = Assert.Throws<SentioException>(() => TrainConfig.Parse(
            "data: { train: train.txt }\nmodel: { architecture: sentio.BiLstmClassifier.v1, training: { loss: cross_entropy } }\n", "c.yaml"));
        Assert.Contains("model.training.loss: cross_entropy is the single-label (softmax) loss, but problem_type is multi_label_classification", error.Message);

        error = Assert.Throws<SentioException>(() => TrainConfig.Parse("problem_type: multiclass\ndata: { train: train.txt }\n", "c.yaml"));
        Assert.Contains("problem_type: ", error.Message);
        Assert.Contains("single_label_classification", error.Message);

        var parsed = TrainConfig.Parse("problem_type: single_label_classification\ndata: { train: train.txt }\n", "c.yaml");
        Assert.Equal(ProblemType.SingleLabelClassification, TrainConfig.Parse(parsed.ToYaml(), "again.yaml").ProblemType);
        Assert.Equal(ProblemType.MultiLabelClassification, TrainConfig.Parse("data: { train: train.txt }\n", "c.yaml").ProblemType);
    }
}
