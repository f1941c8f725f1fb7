using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sentio.Checkpoints;
using Sentio.Configuration;
using Sentio.Data;
using Sentio.IO;
using Sentio.Text;
using Sentio.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Models;

/// <summary>What training changes.</summary>
public enum TransformerMode
{
    /// <summary>The encoder and a linear head train together.</summary>
    FineTune,
    /// <summary>The encoder stays frozen; its features are computed once per split and a 2-layer MLP head trains on them.</summary>
    FeatureExtract,
}

/// <summary>How the encoder's per-token states become one vector per text.</summary>
public enum TransformerPooling
{
    /// <summary>The hidden state at the first token ([CLS] / &lt;s&gt;).</summary>
    Cls,
    /// <summary>The checkpoint's own sequence-classification head, exactly as Hugging Face runs it: BERT's pooler (dense + tanh
    /// on [CLS]), DistilBERT's pre_classifier + ReLU, RoBERTa's classifier.dense + tanh. The only pooling whose exported
    /// folder Hugging Face transformers reproduces.</summary>
    Pooler,
    /// <summary>The mean of the hidden states over the real (unpadded) tokens.</summary>
    Mean,
}

/// <summary>Where tensors live.</summary>
public enum TransformerDevice
{
    Cpu,
    /// <summary>Needs the CUDA libtorch package (TorchSharp-cuda-linux / -windows) instead of TorchSharp-cpu.</summary>
    Cuda,
}

/// <summary>One step of gradual unfreezing: from <see cref="Epoch"/> on, the top <see cref="Layers"/> encoder blocks train.</summary>
public sealed record UnfreezeStep
{
    /// <summary>0-based epoch this step starts at.</summary>
    public int Epoch { get; init; }

    /// <summary>Top encoder blocks that train (the head always trains; BERT's pooler trains with any block); null = the
    /// whole encoder, embeddings included. Default null.</summary>
    public int? Layers { get; init; }
}

/// <summary>An encoder built from a config rather than loaded: <c>model.from_scratch</c>.</summary>
public sealed record ScratchEncoderOptions : IValidatableOptions
{
    /// <summary><c>bert</c>, <c>distilbert</c> or <c>roberta</c>. Default bert.</summary>
    public string ModelType { get; init; } = "bert";

    /// <summary>Encoder blocks. Default 2.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Hidden size; a multiple of <see cref="Heads"/>. Default 128.</summary>
    public int Hidden { get; init; } = 128;

    /// <summary>Attention heads. Default 4.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>Feed-forward size. Default 512.</summary>
    public int Intermediate { get; init; } = 512;

    /// <summary>Position table size; at least the model's max_length. Default 128.</summary>
    public int MaxPositionEmbeddings { get; init; } = 128;

    /// <summary>A WordPiece <c>vocab.txt</c> (one token per line, with [CLS], [SEP], [PAD], [UNK], [MASK]). A relative path
    /// resolves against the current directory, as every path in a <c>model:</c> section does. Required.</summary>
    public string? Vocab { get; init; }

    public IEnumerable<ConfigError> Validate()
    {
        if (ModelType is not ("bert" or "distilbert" or "roberta")) yield return new("model_type", $"expected bert, distilbert or roberta, got '{ModelType}'");
        if (Layers < 1) yield return new("layers", $"expected an integer >= 1, got {Layers}");
        if (Heads < 1) yield return new("heads", $"expected an integer >= 1, got {Heads}");
        if (Hidden < 1 || (Heads >= 1 && Hidden % Heads != 0)) yield return new("hidden", $"expected a positive multiple of heads ({Heads}), got {Hidden}");
        if (Intermediate < 1) yield return new("intermediate", $"expected an integer >= 1, got {Intermediate}");
        if (MaxPositionEmbeddings < 3) yield return new("max_position_embeddings", $"expected an integer >= 3, got {MaxPositionEmbeddings}");
        if (string.IsNullOrEmpty(Vocab)) yield return new("vocab", "missing: give the path of a WordPiece vocab.txt, e.g. ../shared/models/all-MiniLM-L6-v2/vocab.txt");
    }
}

/// <summary>The <c>model:</c> section of <c>sentio.TransformerClassifier.v1</c>.</summary>
public sealed record TransformerClassifierOptions : IValidatableOptions, IOptionsWithPaths
{
    /// <summary>A Hugging Face folder (config.json, model.safetensors, tokenizer files), a registry name
    /// (<c>all-MiniLM-L6-v2</c>, <c>snowflake-arctic-embed-xs</c>) or a hub id, resolved by <see cref="ModelStore"/>, to start from: an encoder (keys with or
    /// without the <c>bert.</c> / <c>distilbert.</c> / <c>roberta.</c> prefix) or a sequence classifier, whose head is kept when
    /// its id2label equals the training labels and replaced otherwise. Relative to the current directory. Exactly one of
    /// this and <see cref="FromScratch"/>.</summary>
    public string? Pretrained { get; init; }

    /// <summary>Build a randomly initialised encoder instead of loading one.</summary>
    public ScratchEncoderOptions? FromScratch { get; init; }

    public object WithAbsolutePaths(string baseDirectory) => this with
    {
        Pretrained = Pretrained == null ? null : ModelStore.Locate(Pretrained, baseDirectory),
        FromScratch = FromScratch?.Vocab == null ? FromScratch : FromScratch with { Vocab = Path.GetFullPath(FromScratch.Vocab, baseDirectory) },
    };

    /// <summary>Default fine_tune.</summary>
    public TransformerMode Mode { get; init; } = TransformerMode.FineTune;

    /// <summary>Default pooler (the checkpoint's own head).</summary>
    public TransformerPooling Pooling { get; init; } = TransformerPooling.Pooler;

    /// <summary>Tokens per text, [CLS] and [SEP] included; longer texts are cut. At most the encoder's positions. Default 128.</summary>
    public int MaxLength { get; init; } = 128;

    /// <summary>Dropout before the classification layer for cls / mean pooling and inside the feature_extract MLP; a from_scratch
    /// encoder also takes it as classifier_dropout. Pooling pooler on a pretrained folder keeps the checkpoint's
    /// classifier_dropout. Default 0.1.</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Hidden units of the feature_extract MLP head. Default 256.</summary>
    public int HeadHidden { get; init; } = 256;

    /// <summary>Lowercase before WordPiece; null = the tokenizer's own setting (tokenizer_config.json's do_lower_case; true for a
    /// from_scratch vocab). Default null.</summary>
    public bool? Lowercase { get; init; }

    /// <summary>The encoder's learning rate relative to the head's (discriminative fine-tuning); multiplied by
    /// <c>training.layerwise_lr_decay</c>^(layers − layer) per layer (embeddings = layer 0). Default 1.</summary>
    public double EncoderLearningRateMultiplier { get; init; } = 1.0;

    /// <summary>Gradual unfreezing (fine_tune only): steps ordered by epoch, the first at epoch 0, unfreezing only ever more
    /// layers. Each step trains as one <see cref="NeuralTrainer"/> run (its own warmup and decay, its best epoch kept).
    /// Empty = everything trains from the start. Default empty.</summary>
    public IReadOnlyList<UnfreezeStep> UnfreezeSchedule { get; init; } = [];

    /// <summary>Default cpu.</summary>
    public TransformerDevice Device { get; init; } = TransformerDevice.Cpu;

    /// <summary>Optimisation settings; the <c>training:</c> section, with <see cref="NeuralTrainingOptions"/>' defaults (lr 2e-3
    /// suits a small encoder from scratch; fine-tuning a pretrained one wants about 2e-5 to 1e-4).</summary>
    public NeuralTrainingOptions Training { get; init; } = new();

    public IEnumerable<ConfigError> Validate()
    {
        if ((Pretrained == null) == (FromScratch == null))
            yield return new("pretrained", "give exactly one of 'pretrained' (a Hugging Face folder) and 'from_scratch' (an encoder config)");
        if (FromScratch != null)
        {
            foreach (var error in FromScratch.Validate()) yield return error with { Key = "from_scratch." + error.Key };
            if (MaxLength > FromScratch.MaxPositionEmbeddings)
                yield return new("max_length", $"{MaxLength} exceeds from_scratch.max_position_embeddings ({FromScratch.MaxPositionEmbeddings}); lower max_length or raise the positions");
        }
        if (MaxLength < 2) yield return new("max_length", $"expected an integer >= 2 (room for [CLS] and [SEP]), got {MaxLength}");
        if (!(Dropout >= 0 && Dropout < 1)) yield return new("dropout", $"expected a number in [0, 1), got {Dropout}");
        if (HeadHidden < 1) yield return new("head_hidden", $"expected an integer >= 1, got {HeadHidden}");
        if (!(EncoderLearningRateMultiplier > 0)) yield return new("encoder_learning_rate_multiplier", $"expected a number > 0, got {EncoderLearningRateMultiplier}");
        if (Mode == TransformerMode.FeatureExtract && UnfreezeSchedule.Count > 0)
            yield return new("unfreeze_schedule", "feature_extract keeps the encoder frozen; remove unfreeze_schedule or use mode: fine_tune");
        for (int i = 0; i < UnfreezeSchedule.Count; i++)
        {
            var step = UnfreezeSchedule[i];
            string key = $"unfreeze_schedule[{i}]";
            if (i == 0 && step.Epoch != 0) yield return new(key + ".epoch", $"the first step must start at epoch 0, got {step.Epoch}");
            if (i > 0 && step.Epoch <= UnfreezeSchedule[i - 1].Epoch) yield return new(key + ".epoch", $"epochs must increase, got {step.Epoch} after {UnfreezeSchedule[i - 1].Epoch}");
            if (step.Epoch >= Training.Epochs) yield return new(key + ".epoch", $"{step.Epoch} is not below training.epochs ({Training.Epochs})");
            if (step.Layers < 0) yield return new(key + ".layers", $"expected an integer >= 0 or null (all), got {step.Layers}");
            if (i > 0 && (UnfreezeSchedule[i - 1].Layers == null || step.Layers < UnfreezeSchedule[i - 1].Layers))
                yield return new(key + ".layers", "each step must unfreeze at least as many layers as the one before");
        }
        foreach (var error in Training.Validate()) yield return error with { Key = "training." + error.Key };
    }
}

/// <summary>The feature_extract head: dropout → dense → GELU → dropout → out_proj, [batch, features] → [batch, labels].</summary>
public sealed class FeatureHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Linear out_proj;
    private readonly Dropout dropout;

    public FeatureHead(int features, int hidden, int labels, double dropoutRate) : base(nameof(FeatureHead))
    {
        dense = nn.Linear(features, hidden);
        out_proj = nn.Linear(hidden, labels);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor features) =>
        out_proj.forward(dropout.forward(nn.functional.gelu(dense.forward(dropout.forward(features)))));
}

/// <summary>A BERT / DistilBERT / RoBERTa encoder with a multi-label head, fine-tuned (or used as a frozen feature extractor)
/// by <see cref="NeuralTrainer"/>. Texts are tokenized once; each batch is padded to its own longest text, and inference
/// batches group texts of similar length. Saved as <c>model.json</c> plus a Hugging Face folder <c>hf/</c> (config.json with
/// id2label, model.safetensors, tokenizer files) and, in feature_extract mode, <c>head.safetensors</c>.</summary>
public sealed partial class TransformerClassifier : IResumableClassifier
{
    public const string ArchitectureName = "sentio.TransformerClassifier.v1";

    /// <summary>The Hugging Face folder inside a saved model folder.</summary>
    public const string HuggingFaceFolder = "hf";

    /// <summary>The feature_extract MLP head's weights inside a saved model folder.</summary>
    public const string HeadFile = "head.safetensors";

    /// <summary>The config.json key recording a pooling other than the checkpoint's own head, read back on import.</summary>
    public const string PoolingConfigKey = "sentio_pooling";

    private const int PredictionBatchSize = 64;

    public static readonly ArchitectureInfo Info = new(ArchitectureName, typeof(TransformerClassifierOptions),
        (options, labels, seed) => new TransformerClassifier((TransformerClassifierOptions)options, labels, seed), Load);

    private ITransformerClassifier? model;
    private ITransformerTokenizer? tokenizer;
    private FeatureHead? head;
    private string? checkpointDirectory;
    private Tensor? classifierWeight;
    private Tensor? classifierBias;

    /// <param name="seed">Seeds initialisation and training; it replaces <c>options.Training.Seed</c>.</param>
    public TransformerClassifier(TransformerClassifierOptions options, IReadOnlyList<string> labelNames, int seed)
    {
        Options = options with { Training = options.Training with { Seed = seed } };
        LabelNames = labelNames;
    }

    public string Architecture => ArchitectureName;
    public IReadOnlyList<string> LabelNames { get; }
    public TransformerClassifierOptions Options { get; }

    /// <summary>The Hugging Face network, encoder and head (null before <see cref="Fit"/> or loading).</summary>
    public ITransformerClassifier? Transformer => model;

    /// <summary>Texts run through the encoder in feature_extract mode (training, validation and prediction together).</summary>
    public int TextsEncoded { get; private set; }

    private Device TorchDevice => Options.Device == TransformerDevice.Cuda ? CUDA : CPU;

    public void UseCheckpoints(string directory) => checkpointDirectory = directory;

    /// <summary>Where a training phase (one per unfreezing step, or the feature head) keeps its checkpoints; null = none.</summary>
    private string? PhaseCheckpoints(string phase) => checkpointDirectory == null ? null : Path.Combine(checkpointDirectory, phase);

    private static bool CanResume(string? directory) => directory != null && NeuralTrainer.HasCheckpoint(directory);

    public void Fit(MultiLabelDataset train, MultiLabelDataset? validation, ITrainingMonitor monitor)
    {
        if (train.Count == 0) throw new SentioException("training split: no examples to train on");
        if (!train.LabelNames.SequenceEqual(LabelNames)) throw new SentioException("training split: its labels differ from the model's labels");
        RequireDevice(Options.Device);
        if (Options.Training.Threads > 0) torch.set_num_threads(Options.Training.Threads);
        DisposeModel();
        head?.Dispose();
        head = null;
        torch.manual_seed(Options.Training.Seed);
        (model, tokenizer) = Options.Pretrained != null ? LoadPretrained(ModelStore.FromEnvironment().Resolve(Options.Pretrained), monitor) : BuildFromScratch(Options.FromScratch!);
        CheckMaxLength(model.Config, Options.MaxLength, "model.max_length");
        model.Module.to(TorchDevice);
        BindClassifierWeights();
        monitor.Log($"{model.Config.ModelType} encoder: {model.Config.NumHiddenLayers} layers × {model.Config.HiddenSize} hidden, " +
            $"{model.Module.parameters().Sum(p => p.numel()):N0} parameters; mode {Options.Mode}, pooling {Options.Pooling}");

        var trainTexts = Encode(train.Texts);
        var validationTexts = validation == null ? null : Encode(validation.Texts);
        if (Options.Mode == TransformerMode.FeatureExtract) FitHead(train, trainTexts, validation, validationTexts, monitor);
        else FineTune(train, trainTexts, validation, validationTexts, monitor);
        model.Module.eval();
        head?.eval();
    }

    public double[,] PredictProbabilities(IReadOnlyList<string> texts)
    {
        if (model == null || tokenizer == null) throw new InvalidOperationException("The model is not fitted or loaded.");
        var encoded = Encode(texts);
        var probabilities = new double[texts.Count, LabelNames.Count];
        model.Module.eval();
        head?.eval();
        using var noGrad = no_grad();
        foreach (int[] batch in LengthSortedBatches(encoded))
        {
            using var scope = NewDisposeScope();
            var logits = Options.Mode == TransformerMode.FeatureExtract ? head!.forward(Features(encoded, batch)) : Logits(encoded, batch);
            float[] values = logits.sigmoid().cpu().contiguous().data<float>().ToArray();
            for (int i = 0; i < batch.Length; i++)
                for (int j = 0; j < LabelNames.Count; j++)
                    probabilities[batch[i], j] = values[i * LabelNames.Count + j];
        }
        return probabilities;
    }

    public void Save(string directory)
    {
        if (model == null || tokenizer == null) throw new InvalidOperationException("The model is not fitted or loaded.");
        Directory.CreateDirectory(directory);
        SaveHuggingFace(Path.Combine(directory, HuggingFaceFolder));
        if (head != null) SafeTensors.Write(Path.Combine(directory, HeadFile), head.state_dict());
        ModelCatalog.WriteManifest(directory, ArchitectureName, LabelNames, Options);
    }

    /// <summary>Writes the encoder, its head and the tokenizer as a Hugging Face folder. With pooling pooler,
    /// <c>AutoModelForSequenceClassification</c> reproduces Sentio's logits; cls / mean pooling is recorded as
    /// <c>sentio_pooling</c> in config.json, which Sentio (not transformers) honours on import.</summary>
    /// <exception cref="SentioException">feature_extract models: their MLP head has no Hugging Face form.</exception>
    public void ExportHuggingFace(string folder)
    {
        if (Options.Mode == TransformerMode.FeatureExtract)
            throw new SentioException($"{ArchitectureName}: a feature_extract model keeps an MLP head ({HeadFile}) that a Hugging Face sequence classifier cannot hold; export a fine_tune model");
        SaveHuggingFace(folder);
    }

    /// <summary>Loads a model saved by <see cref="Save"/>.</summary>
    public static TransformerClassifier Load(string directory)
    {
        var (labels, options) = ModelCatalog.ReadManifest<TransformerClassifierOptions>(directory);
        RequireDevice(options.Device);
        string folder = Path.Combine(directory, HuggingFaceFolder);
        var classifier = new TransformerClassifier(options, labels, options.Training.Seed);
        var (model, _) = HfModelFolder.LoadClassifier(folder);
        classifier.model = model;
        if (!model.Config.Labels.SequenceEqual(labels))
        {
            classifier.Dispose();
            throw new SentioException($"{Path.Combine(folder, HfModelFolder.ConfigFile)}: id2label differs from the labels in {ModelCatalog.ManifestFile}");
        }
        classifier.tokenizer = HfModelFolder.LoadTokenizer(folder);
        model.Module.to(classifier.TorchDevice);
        classifier.BindClassifierWeights();
        if (options.Mode == TransformerMode.FeatureExtract)
        {
            classifier.head = new FeatureHead(model.Config.HiddenSize, options.HeadHidden, labels.Count, options.Dropout);
            string path = Path.Combine(directory, HeadFile);
            var tensors = SafeTensors.Read(path);
            try { StateDictLoader.Load(classifier.head, tensors, path); }
            finally { foreach (var t in tensors.Values) t.Dispose(); }
            classifier.head.to(classifier.TorchDevice);
            classifier.head.eval();
        }
        model.Module.eval();
        return classifier;
    }

    /// <summary>Wraps an imported Hugging Face sequence classifier (a folder with config.json whose id2label names the labels,
    /// model.safetensors and tokenizer files) for prediction: one sigmoid per label, whatever problem_type the checkpoint was
    /// trained with; max_length is the smaller of 128 and the encoder's positions.</summary>
    /// <exception cref="SentioException">No id2label, missing files, or weights that do not fit the config.</exception>
    public static TransformerClassifier FromHuggingFace(string folder)
    {
        string configPath = Path.Combine(folder, HfModelFolder.ConfigFile);
        var config = TransformerConfig.Read(configPath);
        if (config.Labels.Count == 0)
            throw new SentioException($"{configPath}: no id2label; a folder predicts only when its config names the labels (a bare encoder must be fine-tuned first)");
        var pooling = TransformerPooling.Pooler;
        if (config.Extra[PoolingConfigKey] is JsonValue recorded)
            pooling = Enum.GetValues<TransformerPooling>().FirstOrDefault(p => YamlBinder.KeyOf(p.ToString()) == recorded.ToString(), TransformerPooling.Pooler);
        var options = new TransformerClassifierOptions { Pretrained = folder, Pooling = pooling, MaxLength = Math.Min(128, UsablePositions(config)) };
        var classifier = new TransformerClassifier(options, config.Labels, options.Training.Seed);
        var (model, _) = HfModelFolder.LoadClassifier(folder);
        classifier.model = model;
        try { classifier.tokenizer = HfModelFolder.LoadTokenizer(folder); }
        catch
        {
            classifier.Dispose();
            throw;
        }
        classifier.BindClassifierWeights();
        model.Module.eval();
        return classifier;
    }

    /// <summary>Exports the transformer model of a run directory (or a model folder) as a Hugging Face folder (<c>sentio export</c>).</summary>
    /// <exception cref="SentioException">The path holds no transformer model, or a feature_extract one.</exception>
    public static void Export(string path, string outputFolder)
    {
        string modelFolder = RunDirectory.IsRunDirectory(path) ? new RunDirectory(path).Model : path;
        using var loaded = ModelCatalog.Load(modelFolder);
        if (loaded is not TransformerClassifier transformer)
            throw new SentioException($"{path}: the model is {loaded.Architecture}; only {ArchitectureName} models export as a Hugging Face folder");
        transformer.ExportHuggingFace(outputFolder);
    }

    public long ParameterCount =>
        (model?.Module.parameters().Sum(p => p.numel()) ?? 0) + (head?.parameters().Sum(p => p.numel()) ?? 0);

    public void Dispose()
    {
        DisposeModel();
        head?.Dispose();
        head = null;
    }

    /// <summary>Which encoder layer a parameter belongs to: 0 = embeddings, k = block k − 1, <paramref name="layerCount"/> = the
    /// rest of the encoder (BERT's pooler); null = the classification head.</summary>
    public static int? EncoderLayer(string parameterName, string encoderPrefix, int layerCount)
    {
        if (!parameterName.StartsWith(encoderPrefix + ".", StringComparison.Ordinal)) return null;
        var block = BlockKey().Match(parameterName);
        if (block.Success) return int.Parse(block.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1;
        return parameterName.StartsWith(encoderPrefix + ".embeddings.", StringComparison.Ordinal) ? 0 : layerCount;
    }

    /// <summary>A parameter's learning rate relative to the head's: encoder_learning_rate_multiplier ·
    /// layerwise_lr_decay^(layers − layer) in the encoder (layer from <see cref="EncoderLayer"/>), 1 in the head.</summary>
    public static double LearningRateMultiplier(string parameterName, string encoderPrefix, int layerCount, TransformerClassifierOptions options) =>
        EncoderLayer(parameterName, encoderPrefix, layerCount) is { } layer
            ? options.EncoderLearningRateMultiplier * NeuralTrainer.LayerwiseMultiplier(layer, layerCount, options.Training.LayerwiseLrDecay)
            : 1.0;

    /// <summary>Sets requires_grad for gradual unfreezing: the head always trains; with <paramref name="layers"/> = n the top n
    /// blocks (and BERT's pooler when n ≥ 1) train; null or n ≥ the block count = the whole encoder, embeddings included.</summary>
    public static void Unfreeze(ITransformerClassifier model, int? layers)
    {
        int count = model.Config.NumHiddenLayers;
        int lowest = layers is { } n && n < count ? count - n + 1 : 0;
        foreach (var (name, parameter) in model.Module.named_parameters())
            parameter.requires_grad = EncoderLayer(name, model.EncoderPrefix, count) is not { } layer || layer >= lowest;
    }

    [GeneratedRegex(@"^[a-z]+\.(?:encoder|transformer)\.layer\.(\d+)\.")]
    private static partial Regex BlockKey();

    private void FineTune(MultiLabelDataset train, EncodedText[] trainTexts, MultiLabelDataset? validation, EncodedText[]? validationTexts, ITrainingMonitor monitor)
    {
        var trainSplit = new NeuralSplit(train.Count, train.LabelMatrix(), indices => Logits(trainTexts, indices), trainTexts.Select(t => t.Length).ToArray());
        var validationSplit = validation == null ? null
            : new NeuralSplit(validation.Count, validation.LabelMatrix(), indices => Logits(validationTexts!, indices));
        int layerCount = model!.Config.NumHiddenLayers;
        double Multiplier(string name) => LearningRateMultiplier(name, model.EncoderPrefix, layerCount, Options);

        IReadOnlyList<UnfreezeStep> schedule = Options.UnfreezeSchedule.Count > 0 ? Options.UnfreezeSchedule : [new UnfreezeStep()];
        for (int i = 0; i < schedule.Count; i++)
        {
            int first = schedule[i].Epoch, end = i + 1 < schedule.Count ? schedule[i + 1].Epoch : Options.Training.Epochs;
            Unfreeze(model, schedule[i].Layers);
            if (schedule.Count > 1)
                monitor.Log($"epochs {first + 1}-{end}: {(schedule[i].Layers is { } n && n < layerCount ? $"head and top {n} of {layerCount} layers" : "all layers")} train");
            var phase = Options.Training with { Epochs = end - first, Seed = Options.Training.Seed + first };
            string? checkpoints = PhaseCheckpoints($"phase-{i + 1}");
            new NeuralTrainer(phase).Train(model.Module, trainSplit, validationSplit, new EpochOffsetMonitor(monitor, first), checkpoints, CanResume(checkpoints), Multiplier);
        }
        Unfreeze(model, null);
    }

    /// <summary>Numbers a phase's epochs within the whole run (phase 2 starting at epoch 3 reports 3, 4, ...), so the
    /// training log and its curves run on one axis.</summary>
    private sealed class EpochOffsetMonitor(ITrainingMonitor inner, int offset) : ITrainingMonitor
    {
        public void BeginStage(string name, int total) => inner.BeginStage(name, total);
        public void Advance(int steps = 1) => inner.Advance(steps);
        public void Log(string message) => inner.Log(message);
        public void EpochEnded(EpochSummary summary) => inner.EpochEnded(summary with { Epoch = summary.Epoch + offset });
    }

    private void FitHead(MultiLabelDataset train, EncodedText[] trainTexts, MultiLabelDataset? validation, EncodedText[]? validationTexts, ITrainingMonitor monitor)
    {
        if (Options.Pooling == TransformerPooling.Pooler && model is not BertForSequenceClassification)
            throw new SentioException($"model.pooling: 'pooler' in feature_extract mode needs a BERT encoder (it has a pooler); {model!.Config.ModelType} has none — use cls or mean");
        foreach (var (_, parameter) in model!.Module.named_parameters()) parameter.requires_grad = false;
        using var trainFeatures = ComputeFeatures(trainTexts, "train features", monitor);
        using var validationFeatures = validationTexts == null ? null : ComputeFeatures(validationTexts, "validation features", monitor);
        torch.manual_seed(Options.Training.Seed);
        head = new FeatureHead(model.Config.HiddenSize, Options.HeadHidden, LabelNames.Count, Options.Dropout);
        head.to(TorchDevice);
        var net = head;
        Tensor Rows(Tensor features, IReadOnlyList<int> indices) =>
            net.forward(features.index_select(0, tensor(indices.Select(i => (long)i).ToArray()).to(TorchDevice)));
        var trainSplit = new NeuralSplit(train.Count, train.LabelMatrix(), indices => Rows(trainFeatures, indices));
        var validationSplit = validation == null ? null
            : new NeuralSplit(validation.Count, validation.LabelMatrix(), indices => Rows(validationFeatures!, indices));
        string? checkpoints = PhaseCheckpoints("head");
        new NeuralTrainer(Options.Training).Train(head, trainSplit, validationSplit, monitor, checkpoints, CanResume(checkpoints));
    }

    /// <summary>Pooled encoder features of every text, once: [texts, hidden] on the model's device.</summary>
    private Tensor ComputeFeatures(EncodedText[] texts, string stage, ITrainingMonitor monitor)
    {
        var batches = LengthSortedBatches(texts);
        monitor.BeginStage(stage, batches.Count);
        var features = zeros([texts.Length, model!.Config.HiddenSize], device: TorchDevice);
        model.Module.eval();
        using var noGrad = no_grad();
        foreach (int[] batch in batches)
        {
            using var scope = NewDisposeScope();
            features.index_copy_(0, tensor(batch.Select(i => (long)i).ToArray()).to(TorchDevice), Features(texts, batch));
            monitor.Advance();
        }
        return features;
    }

    /// <summary>Pooled encoder output for the texts at <paramref name="indices"/>: [batch, hidden].</summary>
    private Tensor Features(EncodedText[] texts, IReadOnlyList<int> indices)
    {
        var (ids, mask, types) = Batch(texts, indices);
        TextsEncoded += indices.Count;
        if (Options.Pooling == TransformerPooling.Pooler) return ((BertForSequenceClassification)model!).PooledOutput(ids, mask, types);
        return Pool(model!.LastHiddenState(ids, mask, types), mask);
    }

    /// <summary>Logits [batch, labels] of the fine-tuned model for the texts at <paramref name="indices"/>.</summary>
    private Tensor Logits(EncodedText[] texts, IReadOnlyList<int> indices)
    {
        var (ids, mask, types) = Batch(texts, indices);
        if (Options.Pooling == TransformerPooling.Pooler) return model!.Logits(ids, mask, types);
        var pooled = nn.functional.dropout(Pool(model!.LastHiddenState(ids, mask, types), mask), Options.Dropout, model.Module.training);
        return nn.functional.linear(pooled, classifierWeight!, classifierBias);
    }

    /// <summary>Hidden states [batch, seq, hidden] and mask [batch, seq] → [batch, hidden] by cls or mean pooling.</summary>
    private Tensor Pool(Tensor hidden, Tensor mask)
    {
        if (Options.Pooling == TransformerPooling.Cls) return hidden[.., 0];
        var weights = mask.unsqueeze(-1).to_type(hidden.dtype);
        return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1.0);
    }

    /// <summary>Pads the texts at <paramref name="indices"/> to their longest: three [batch, seq] int64 tensors on the device.</summary>
    private (Tensor Ids, Tensor Mask, Tensor Types) Batch(EncodedText[] texts, IReadOnlyList<int> indices)
    {
        var (ids, mask, types) = EncodedBatch.Pad(indices.Select(i => texts[i]).ToList(), tokenizer!.PadTokenId).ToTensors();
        return (ids.to(TorchDevice), mask.to(TorchDevice), types.to(TorchDevice));
    }

    private EncodedText[] Encode(IReadOnlyList<string> texts) => texts.Select(t => tokenizer!.Encode(t, Options.MaxLength)).ToArray();

    /// <summary>Inference batches of texts of similar length (sorted by length), so padding wastes little.</summary>
    private static List<int[]> LengthSortedBatches(EncodedText[] texts) =>
        Enumerable.Range(0, texts.Length).OrderBy(i => texts[i].Length).Chunk(PredictionBatchSize).ToList();

    /// <summary>The final linear layer the cls / mean poolings feed: the checkpoint's <c>classifier</c> (BERT, DistilBERT) or
    /// <c>classifier.out_proj</c> (RoBERTa), so an exported folder carries it.</summary>
    private void BindClassifierWeights()
    {
        var parameters = model!.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        string layer = model.Config.ModelType == "roberta" ? "classifier.out_proj" : "classifier";
        classifierWeight = parameters[layer + ".weight"];
        classifierBias = parameters[layer + ".bias"];
    }

    private (ITransformerClassifier, ITransformerTokenizer) LoadPretrained(string folder, ITrainingMonitor monitor)
    {
        var (loaded, report) = HfModelFolder.LoadClassifier(folder, LabelNames);
        if (report.Missing.Count > 0) monitor.Log($"new classification head (not in {folder}): {string.Join(", ", report.Missing)}");
        if (report.Ignored.Count > 0) monitor.Log($"unused checkpoint tensors: {string.Join(", ", report.Ignored)}");
        var folderTokenizer = HfModelFolder.LoadTokenizer(folder);
        if (Options.Lowercase is not { } lowercase) return (loaded, folderTokenizer);
        if (folderTokenizer is not WordPieceTokenizer wordPiece)
        {
            loaded.Dispose();
            throw new SentioException($"model.lowercase: {folder} has a byte-level BPE tokenizer, which has no lowercase setting; remove model.lowercase");
        }
        return (loaded, WithLowercase(wordPiece, lowercase));
    }

    private (ITransformerClassifier, ITransformerTokenizer) BuildFromScratch(ScratchEncoderOptions scratch)
    {
        string path = Path.GetFullPath(scratch.Vocab!);
        if (!File.Exists(path)) throw new SentioException($"model.from_scratch.vocab: {path}: not found");
        var wordPiece = new WordPieceTokenizer(WordPieceTokenizer.ReadVocabulary(path), new WordPieceOptions { DoLowerCase = Options.Lowercase ?? true }, path);
        bool roberta = scratch.ModelType == "roberta";
        var config = new TransformerConfig
        {
            ModelType = scratch.ModelType,
            VocabSize = wordPiece.VocabularySize,
            HiddenSize = scratch.Hidden,
            NumHiddenLayers = scratch.Layers,
            NumAttentionHeads = scratch.Heads,
            IntermediateSize = scratch.Intermediate,
            // RoBERTa numbers positions from pad_token_id + 1, so its table needs that many more rows.
            MaxPositionEmbeddings = scratch.MaxPositionEmbeddings + (roberta ? wordPiece.PadTokenId + 1 : 0),
            TypeVocabSize = scratch.ModelType == "distilbert" ? 0 : roberta ? 1 : 2,
            PadTokenId = wordPiece.PadTokenId,
            ClassifierDropout = Options.Dropout,
            Labels = LabelNames,
            ProblemType = "multi_label_classification",
        };
        return (HfModelFolder.Create(config), wordPiece);
    }

    private static WordPieceTokenizer WithLowercase(WordPieceTokenizer wordPiece, bool lowercase) =>
        new(Enumerable.Range(0, wordPiece.VocabularySize).Select(wordPiece.IdToToken).ToArray(), wordPiece.Options with { DoLowerCase = lowercase });

    private void SaveHuggingFace(string folder)
    {
        if (model == null || tokenizer == null) throw new InvalidOperationException("The model is not fitted or loaded.");
        HfModelFolder.Save(model, folder, tokenizer);
        if (Options.Pooling == TransformerPooling.Pooler) return;
        // HfModelFolder.Save writes config.json from the model's config; the pooling rides along as one extra key.
        string configPath = Path.Combine(folder, HfModelFolder.ConfigFile);
        var json = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        json[PoolingConfigKey] = YamlBinder.KeyOf(Options.Pooling.ToString());
        AtomicFile.WriteText(configPath, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Positions an encoder can number: RoBERTa starts counting at pad_token_id + 1.</summary>
    private static int UsablePositions(TransformerConfig config) =>
        config.ModelType == "roberta" ? config.MaxPositionEmbeddings - config.PadTokenId - 1 : config.MaxPositionEmbeddings;

    private static void CheckMaxLength(TransformerConfig config, int maxLength, string key)
    {
        int usable = UsablePositions(config);
        if (maxLength > usable) throw new SentioException($"{key}: {maxLength} exceeds the encoder's {usable} positions; set max_length <= {usable}");
    }

    private static void RequireDevice(TransformerDevice device)
    {
        if (device == TransformerDevice.Cuda && !torch.cuda.is_available())
            throw new SentioException("model.device: cuda, but CUDA is not available: Sentio ships the CPU libtorch (TorchSharp-cpu); " +
                "reference TorchSharp-cuda-linux (or -windows) in place of TorchSharp-cpu on a machine with an NVIDIA driver, or set device: cpu");
    }

    private void DisposeModel()
    {
        model?.Dispose();
        model = null;
        classifierWeight = null;
        classifierBias = null;
    }
}
