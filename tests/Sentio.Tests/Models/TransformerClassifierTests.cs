using System.Text.Json;
using Sentio.Checkpoints;
using Sentio.Cli;
using Sentio.Configuration;
using Sentio.Data;
using Sentio.Inference;
using Sentio.Models;
using Sentio.Training;
using TorchSharp;
using static TorchSharp.torch;
using Sentio.Runs;
using Sentio.Catalog;

namespace Sentio.Tests.Models;

[Collection(TorchRandomCollection.Name)]
public class TransformerClassifierTests
{
    private static float[] Values(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();

    private static void AssertSameProbabilities(double[,] expected, double[,] actual)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++)
                Assert.Equal(expected[i, j], actual[i, j]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void FineTuningFromScratchRaisesTheRightLabels(int seed)
    {
        string vocabulary = FineTuningFixtures.WriteVocabulary(TestPaths.NewTempDirectory());
        using var model = new TransformerClassifier(FineTuningFixtures.Scratch(vocabulary), FineTuningFixtures.Labels, seed);
        model.Fit(FineTuningFixtures.Toy(), null, FitContext.Silent);
        // Unseen texts made of words that occur only in joy-only ("love", "joy") or only in sadness-only ("sad", "cry")
        // training texts.
        var probabilities = model.PredictProbabilities(["love joy", "sad cry"]);
        Assert.True(probabilities[0, 0] > 0.5 && probabilities[0, 1] < 0.5, $"joy text: {probabilities[0, 0]:F3}, {probabilities[0, 1]:F3}");
        Assert.True(probabilities[1, 0] < 0.5 && probabilities[1, 1] > 0.5, $"sad text: {probabilities[1, 0]:F3}, {probabilities[1, 1]:F3}");
    }

    [Fact]
    public void FeatureExtractionEncodesEachTextOnceAndLeavesTheEncoderAsLoaded()
    {
        string folder = FineTuningFixtures.CheckpointWithTokenizer("bert");
        var options = new TransformerClassifierOptions
        {
            Pretrained = folder, Mode = TransformerMode.FeatureExtract, Pooling = TransformerPooling.Cls, MaxLength = 16, HeadHidden = 8,
            Training = new NeuralTrainingOptions { Epochs = 4, BatchSize = 5, EarlyStoppingPatience = 0, Threads = 1 },
        };
        string[] labels = ["anger", "joy", "sadness"];
        MultiLabelDataset Data(params string[] texts) => new(labels, texts.Select((t, i) => new TextExample(null, t, [i % 3])).ToArray());
        var train = Data(Enumerable.Range(5, 12).Select(i => $"tok{i} tok{i + 20}").ToArray());
        var validation = Data("tok50", "tok51 tok52", "tok53", "tok54");
        using var model = new TransformerClassifier(options, labels, seed: 1);
        var monitor = new RecordingMonitor();
        model.Fit(train, validation, new FitContext(monitor));
        // The training and validation texts go through the encoder once each, although the head trained 4 epochs.
        Assert.Equal(["train features", "validation features"], monitor.Begun.Where(s => s.EndsWith("features", StringComparison.Ordinal)));
        Assert.Equal([1, 2, 3, 4], monitor.Epochs);

        var stored = SafeTensors.Read(Path.Combine(folder, HfModelFolder.WeightsFile));
        foreach (var (name, parameter) in model.Transformer!.Module.named_parameters())
            Assert.Equal(Values(stored[name]), Values(parameter));
    }

    [Fact]
    public void UnfreezeSetsRequiresGradPerLayer()
    {
        string folder = FineTuningFixtures.CheckpointWithTokenizer("bert");
        var (model, _) = HuggingFaceClassifier.LoadClassifier(folder);
        using var _model = model;
        string[] Trainable() => model.Module.named_parameters().Where(p => p.parameter.requires_grad)
            .Select(p => p.name.Split('.') is var parts && parts[0] == "bert" ? string.Join('.', parts.Take(parts[1] == "encoder" ? 4 : 2)) : parts[0])
            .Distinct().ToArray();
        // The fixture has 2 encoder blocks: layers 0 = head only; 1 = head, top block and BERT's pooler; null = everything.
        TransformerClassifier.Unfreeze(model, 0);
        Assert.Equal(["classifier"], Trainable());
        TransformerClassifier.Unfreeze(model, 1);
        Assert.Equal(["bert.encoder.layer.1", "bert.pooler", "classifier"], Trainable());
        TransformerClassifier.Unfreeze(model, 2);
        Assert.Equal(["bert.embeddings", "bert.encoder.layer.0", "bert.encoder.layer.1", "bert.pooler", "classifier"], Trainable());
        TransformerClassifier.Unfreeze(model, null);
        Assert.Equal(["bert.embeddings", "bert.encoder.layer.0", "bert.encoder.layer.1", "bert.pooler", "classifier"], Trainable());
    }

    [Theory]
    [InlineData("bert.embeddings.word_embeddings.weight", "bert", 0)]
    [InlineData("bert.encoder.layer.0.attention.self.query.weight", "bert", 1)]
    [InlineData("bert.encoder.layer.1.output.LayerNorm.bias", "bert", 2)]
    [InlineData("bert.pooler.dense.weight", "bert", 2)]
    [InlineData("classifier.weight", "bert", null)]
    [InlineData("distilbert.embeddings.position_embeddings.weight", "distilbert", 0)]
    [InlineData("distilbert.transformer.layer.1.ffn.lin1.weight", "distilbert", 2)]
    [InlineData("pre_classifier.weight", "distilbert", null)]
    [InlineData("roberta.encoder.layer.0.output.dense.weight", "roberta", 1)]
    [InlineData("classifier.out_proj.bias", "roberta", null)]
    public void EncoderLayerNumbersEmbeddingsZeroAndTheHeadNull(string name, string prefix, int? expected) =>
        // Two blocks: embeddings 0, block k at k + 1, the rest of the encoder (pooler) at 2, head parameters null.
        Assert.Equal(expected, TransformerClassifier.EncoderLayer(name, prefix, layerCount: 2));

    [Theory]
    [InlineData("bert.embeddings.word_embeddings.weight", 0.405)] // 0.5 · 0.9^(2 − 0)
    [InlineData("bert.encoder.layer.0.output.dense.weight", 0.45)] // 0.5 · 0.9^(2 − 1)
    [InlineData("bert.encoder.layer.1.output.dense.weight", 0.5)]  // 0.5 · 0.9^0
    [InlineData("bert.pooler.dense.bias", 0.5)]
    [InlineData("classifier.weight", 1.0)]
    public void DiscriminativeLearningRatesDecayDownTheEncoder(string name, double expected)
    {
        var options = new TransformerClassifierOptions { EncoderLearningRateMultiplier = 0.5, Training = new NeuralTrainingOptions { LayerwiseLrDecay = 0.9 } };
        Assert.Equal(expected, TransformerClassifier.LearningRateMultiplier(name, "bert", layerCount: 2, options), 12);
    }

    [Fact]
    public void GradualUnfreezingTrainsOnlyTheScheduledLayers()
    {
        string folder = FineTuningFixtures.CheckpointWithTokenizer("distilbert");
        string[] labels = ["anger", "joy", "sadness"];
        var train = new MultiLabelDataset(labels, Enumerable.Range(5, 12).Select(i => new TextExample(null, $"tok{i} tok{i + 30}", [i % 3])).ToArray());
        // Epoch 0: the head alone; epoch 1: the head and the top block. Embeddings and block 0 never train.
        var options = new TransformerClassifierOptions
        {
            Pretrained = folder, MaxLength = 16,
            UnfreezeSchedule = [new UnfreezeStep { Epoch = 0, Layers = 0 }, new UnfreezeStep { Epoch = 1, Layers = 1 }],
            Training = new NeuralTrainingOptions { Epochs = 2, BatchSize = 4, LearningRate = 1e-2, WarmupRatio = 0, EarlyStoppingPatience = 0, Threads = 1 },
        };
        using var model = new TransformerClassifier(options, labels, seed: 2);
        model.Fit(train, null, FitContext.Silent);
        var stored = SafeTensors.Read(Path.Combine(folder, HfModelFolder.WeightsFile));
        foreach (var (name, parameter) in model.Transformer!.Module.named_parameters())
        {
            bool frozen = name.StartsWith("distilbert.embeddings.") || name.StartsWith("distilbert.transformer.layer.0.");
            bool same = Values(stored[name]).SequenceEqual(Values(parameter));
            Assert.True(frozen == same, $"{name}: {(frozen ? "should be unchanged" : "should have trained")}");
        }
    }

    [Fact]
    public void With_an_unfreeze_schedule_only_the_last_phase_averages_weights()
    {
        string folder = FineTuningFixtures.CheckpointWithTokenizer("distilbert");
        string[] labels = ["anger", "joy", "sadness"];
        var train = new MultiLabelDataset(labels, Enumerable.Range(5, 12).Select(i => new TextExample(null, $"tok{i} tok{i + 30}", [i % 3])).ToArray());
        // Epoch 1 trains the head alone, epochs 2-4 everything: the 4 epochs to average shrink to the last phase's 3.
        var options = new TransformerClassifierOptions
        {
            Pretrained = folder, MaxLength = 16,
            UnfreezeSchedule = [new UnfreezeStep { Epoch = 0, Layers = 0 }, new UnfreezeStep { Epoch = 1 }],
            Training = new NeuralTrainingOptions
            {
                Epochs = 4, BatchSize = 4, LearningRate = 1e-2, WarmupRatio = 0, EarlyStoppingPatience = 0, Threads = 1,
                KeepBest = KeptEpoch.Last, AverageLastEpochs = 4,
            },
        };
        using var model = new TransformerClassifier(options, labels, seed: 2);
        var monitor = new RecordingMonitor();
        model.Fit(train, null, new FitContext(monitor));
        Assert.Equal([1, 2, 3, 4], monitor.Epochs);
        Assert.Equal(["kept the mean of the weights of the last 3 epochs"], monitor.Lines.Where(l => l.StartsWith("kept the mean", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(null, TransformerPooling.Mean)]
    [InlineData(TransformerPooling.Cls, TransformerPooling.Cls)]
    public void WithoutAPoolingTheRegistryFoldersRecordedOneIsUsed(TransformerPooling? configured, TransformerPooling expected)
    {
        string folder = FineTuningFixtures.CheckpointWithTokenizer("bert");
        File.WriteAllText(Path.Combine(folder, ModelStore.SourceFile), """{ "name": "tiny", "pooling": "mean" }""");
        string[] labels = ["anger", "joy", "sadness"];
        var train = new MultiLabelDataset(labels, Enumerable.Range(5, 8).Select(i => new TextExample(null, $"tok{i} tok{i + 30}", [i % 3])).ToArray());
        var training = new NeuralTrainingOptions { Epochs = 1, BatchSize = 4, LearningRate = 1e-2, WarmupRatio = 0, EarlyStoppingPatience = 0, Threads = 1 };
        using var model = new TransformerClassifier(new TransformerClassifierOptions { Pretrained = folder, MaxLength = 16, Pooling = configured, Training = training }, labels, seed: 3);
        model.Fit(train, null, FitContext.Silent);
        using var explicitModel = new TransformerClassifier(new TransformerClassifierOptions { Pretrained = folder, MaxLength = 16, Pooling = expected, Training = training }, labels, seed: 3);
        explicitModel.Fit(train, null, FitContext.Silent);

        Assert.Equal(expected, model.Options.Pooling);
        string[] texts = ["tok5 tok35", "tok7 tok9 tok40"];
        AssertSameProbabilities(explicitModel.PredictProbabilities(texts), model.PredictProbabilities(texts));
    }

    [Fact]
    public void AFolderWithoutARecordedPoolingUsesItsPooler()
    {
        string folder = FineTuningFixtures.CheckpointWithTokenizer("bert");
        string[] labels = ["anger", "joy"];
        var train = new MultiLabelDataset(labels, Enumerable.Range(5, 4).Select(i => new TextExample(null, $"tok{i}", [i % 2])).ToArray());
        var training = new NeuralTrainingOptions { Epochs = 1, BatchSize = 4, WarmupRatio = 0, EarlyStoppingPatience = 0, Threads = 1 };
        using var model = new TransformerClassifier(new TransformerClassifierOptions { Pretrained = folder, MaxLength = 16, Training = training }, labels, seed: 3);
        model.Fit(train, null, FitContext.Silent);
        Assert.Equal(TransformerPooling.Pooler, model.Options.Pooling);
    }

    [Theory]
    [InlineData(TransformerMode.FineTune, TransformerPooling.Mean)]
    [InlineData(TransformerMode.FineTune, TransformerPooling.Pooler)]
    [InlineData(TransformerMode.FeatureExtract, TransformerPooling.Cls)]
    public void SaveAndLoadGiveIdenticalProbabilities(TransformerMode mode, TransformerPooling pooling)
    {
        string vocabulary = FineTuningFixtures.WriteVocabulary(TestPaths.NewTempDirectory());
        var options = FineTuningFixtures.Scratch(vocabulary) with
        {
            Mode = mode, Pooling = pooling, HeadHidden = 8,
            Training = FineTuningFixtures.Scratch(vocabulary).Training with { Epochs = 2 },
        };
        using var model = new TransformerClassifier(options, FineTuningFixtures.Labels, seed: 4);
        model.Fit(FineTuningFixtures.Toy(), null, FitContext.Silent);
        string directory = TestPaths.NewTempDirectory();
        model.Save(directory);
        using var loaded = ModelCatalog.Load(directory);
        Assert.IsType<TransformerClassifier>(loaded);
        string[] texts = ["so happy love", "tears and grief", "joy cry", "unknown words here", ""];
        AssertSameProbabilities(model.PredictProbabilities(texts), loaded.PredictProbabilities(texts));
        Assert.True(File.Exists(Path.Combine(directory, "hf", "config.json")));
        Assert.Equal(mode == TransformerMode.FeatureExtract, File.Exists(Path.Combine(directory, TransformerClassifier.HeadFile)));
    }

    [Theory]
    [InlineData("bert")]
    [InlineData("distilbert")]
    public void ImportedHuggingFaceFolderPredictsTheReferenceProbabilities(string modelType)
    {
        string folder = FineTuningFixtures.CheckpointWithTokenizer(modelType);
        // reference.json: logits [3 texts, 3 labels] from tools/make_transformer_fixtures.py; texts 2 and 3 are
        // [CLS] 5 6 7 [SEP] and [CLS] 88 [SEP], i.e. "tok5 tok6 tok7" and "tok88" with this vocabulary.
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reference.json"))).RootElement;
        double[] logits = reference.GetProperty("logits").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        using var predictor = Predictor.Load(folder);
        Assert.Equal(["anger", "joy", "sadness"], predictor.LabelNames);
        var probabilities = predictor.PredictProbabilities(["tok5 tok6 tok7", "tok88"]);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(1 / (1 + Math.Exp(-logits[(i + 1) * 3 + j])), probabilities[i, j], 5);
    }

    [Fact]
    public void PredictCommandRunsOnAHuggingFaceFolder()
    {
        string folder = FineTuningFixtures.CheckpointWithTokenizer("bert");
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = SentioCommandLine.Run(["predict", "--model-path", folder, "--text", "tok88", "--json"], output, error);
        Assert.True(exit == 0, error.ToString());
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reference.json"))).RootElement;
        double joyLogit = reference.GetProperty("logits")[7].GetDouble(); // text 3 ("tok88"), label 1 (joy)
        var printed = JsonDocument.Parse(output.ToString()).RootElement[0];
        Assert.Equal(Math.Round(1 / (1 + Math.Exp(-joyLogit)), 6), printed.GetProperty("probabilities").GetProperty("joy").GetDouble(), 5);
    }

    [Theory]
    [InlineData(TransformerPooling.Pooler)]
    [InlineData(TransformerPooling.Mean)]
    public void ExportedFolderReimportsWithIdenticalPredictions(TransformerPooling pooling)
    {
        string vocabulary = FineTuningFixtures.WriteVocabulary(TestPaths.NewTempDirectory());
        var options = FineTuningFixtures.Scratch(vocabulary) with { Pooling = pooling, Training = FineTuningFixtures.Scratch(vocabulary).Training with { Epochs = 2 } };
        using var model = new TransformerClassifier(options, FineTuningFixtures.Labels, seed: 5);
        model.Fit(FineTuningFixtures.Toy(), null, FitContext.Silent);
        var run = new RunDirectory(TestPaths.NewTempDirectory());
        model.Save(run.Model);

        string exported = Path.Combine(TestPaths.NewTempDirectory(), "exported");
        var error = new StringWriter();
        Assert.True(SentioCommandLine.Run(["export", "--model-path", run.Path, "--output", exported], new StringWriter(), error) == 0, error.ToString());
        using var imported = Predictor.Load(exported);
        string[] texts = ["so happy love", "tears and grief", "joy cry", "i am very sad the day is glad"];
        AssertSameProbabilities(model.PredictProbabilities(texts), imported.PredictProbabilities(texts));
        Assert.Equal(FineTuningFixtures.Labels, TransformerConfig.Read(Path.Combine(exported, "config.json")).Labels);
    }

    [Fact]
    public void ExportRefusesAFeatureExtractModel()
    {
        string vocabulary = FineTuningFixtures.WriteVocabulary(TestPaths.NewTempDirectory());
        var options = FineTuningFixtures.Scratch(vocabulary) with
        {
            Mode = TransformerMode.FeatureExtract, HeadHidden = 4, Training = FineTuningFixtures.Scratch(vocabulary).Training with { Epochs = 1 },
        };
        using var model = new TransformerClassifier(options, FineTuningFixtures.Labels, seed: 5);
        model.Fit(FineTuningFixtures.Toy(), null, FitContext.Silent);
        var error = Assert.Throws<SentioException>(() => model.ExportHuggingFace(TestPaths.NewTempDirectory()));
        Assert.Contains("feature_extract", error.Message);
    }

    [Fact]
    public void CudaWithoutCudaIsAClearError()
    {
        Assert.False(torch.cuda.is_available()); // Sentio references the CPU libtorch package.
        string vocabulary = FineTuningFixtures.WriteVocabulary(TestPaths.NewTempDirectory());
        using var model = new TransformerClassifier(FineTuningFixtures.Scratch(vocabulary) with { Device = TransformerDevice.Cuda }, FineTuningFixtures.Labels, 1);
        var error = Assert.Throws<SentioException>(() => model.Fit(FineTuningFixtures.Toy(), null, FitContext.Silent));
        Assert.StartsWith("model.device: cuda, but CUDA is not available", error.Message);
    }

    [Fact]
    public void OptionsValidationNamesEveryBadKey()
    {
        var options = new TransformerClassifierOptions
        {
            Pretrained = "some/folder",
            FromScratch = new ScratchEncoderOptions { Hidden = 30, Heads = 4, Vocab = "vocab.txt" },
            MaxLength = 512,
            UnfreezeSchedule = [new UnfreezeStep { Epoch = 1, Layers = 2 }, new UnfreezeStep { Epoch = 1, Layers = 1 }],
        };
        var keys = options.Validate().Select(e => e.Key).ToArray();
        Assert.Equal(["pretrained", "from_scratch.hidden", "max_length", "unfreeze_schedule[0].epoch", "unfreeze_schedule[1].epoch", "unfreeze_schedule[1].layers"], keys);
    }

    [Fact]
    public void TransformerConfigsBindFromYaml()
    {
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "goemotions-transformer-scratch.yaml"));
        var options = Assert.IsType<TransformerClassifierOptions>(config.Model.Options);
        Assert.Equal(new ScratchEncoderOptions { Layers = 2, Hidden = 128, Heads = 4, Intermediate = 512, MaxPositionEmbeddings = 48, Vocab = "../shared/models/all-MiniLM-L6-v2/vocab.txt" }, options.FromScratch);
        Assert.Equal(TransformerPooling.Mean, options.Pooling);
        Assert.Equal(48, options.MaxLength);

        var finetune = Assert.IsType<TransformerClassifierOptions>(
            TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "goemotions-transformer-finetune.yaml")).Model.Options);
        Assert.Equal([new UnfreezeStep { Epoch = 0, Layers = 0 }, new UnfreezeStep { Epoch = 1, Layers = 4 }, new UnfreezeStep { Epoch = 3 }], finetune.UnfreezeSchedule);
        Assert.Equal(0.9, finetune.Training.LayerwiseLrDecay);
    }

    [Theory]
    [InlineData("goemotions-minilm-finetune.yaml", "all-MiniLM-L6-v2", TransformerPooling.Mean, 64)]
    [InlineData("goemotions-arctic-finetune.yaml", "snowflake-arctic-embed-xs", TransformerPooling.Cls, 64)]
    [InlineData("semeval-minilm-cv.yaml", "all-MiniLM-L6-v2", null, 128)]
    public void PretrainedEncoderConfigsNameARegistryModel(string file, string pretrained, TransformerPooling? pooling, int maxLength)
    {
        var options = Assert.IsType<TransformerClassifierOptions>(TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", file)).Model.Options);
        // A registry name stays a name (resolved through the cache on first use), not a path relative to the config.
        Assert.Equal(pretrained, options.Pretrained);
        Assert.Equal(pooling, options.Pooling);
        Assert.Equal(maxLength, options.MaxLength);
    }
}
