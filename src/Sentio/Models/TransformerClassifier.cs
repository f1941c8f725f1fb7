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

/// <summary>A BERT / DistilBERT / RoBERTa encoder with a multi-label head, fine-tuned (or used as a frozen feature extractor)
/// by <see cref="NeuralTrainer"/>. Texts are tokenized once; each batch is padded to its own longest text, and inference
/// batches group texts of similar length. Saved as <c>model.json</c> plus a Hugging Face folder <c>hf/</c> (config.json with
/// id2label, model.safetensors, tokenizer files) and, in feature_extract mode, <c>head.safetensors</c>.</summary>
public sealed partial class TransformerClassifier : ITrainableClassifier
{
    public const string ArchitectureName = "sentio.TransformerClassifier.v1";

    /// <summary>The Hugging Face folder inside a saved model folder.</summary>
    public const string HuggingFaceFolder = "hf";

    /// <summary>The feature_extract MLP head's weights inside a saved model folder.</summary>
    public const string HeadFile = "head.safetensors";

    /// <summary>The config.json key recording a pooling other than the checkpoint's own head, read back on import.</summary>
    public const string PoolingConfigKey = "sentio_pooling";

    private const int PredictionBatchSize = 64;

    private ITransformerClassifier? model;
    private ITransformerTokenizer? tokenizer;
    private FeatureHead? head;
    private Tensor? classifierWeight;
    private Tensor? classifierBias;

    /// <param name="seed">Seeds initialisation and training.</param>
    /// <param name="problemType">Single-label trains softmax cross-entropy and predicts a softmax; multi-label one sigmoid per label.</param>
    public TransformerClassifier(TransformerClassifierOptions options, IReadOnlyList<string> labelNames, int seed,
        ProblemType problemType = ProblemType.MultiLabelClassification)
    {
        Options = options;
        LabelNames = labelNames;
        Seed = seed;
        ProblemType = problemType;
    }

    public string Architecture => ArchitectureName;
    public IReadOnlyList<string> LabelNames { get; }
    /// <summary>The options; after <see cref="Fit"/>, with the pooling it resolved.</summary>
    public TransformerClassifierOptions Options { get; private set; }
    public int Seed { get; }
    public ProblemType ProblemType { get; }
    public bool WritesCheckpoints => true;

    /// <summary>The Hugging Face network, encoder and head (null before <see cref="Fit"/> or loading).</summary>
    public ITransformerClassifier? Transformer => model;

    private Device TorchDevice => Options.Device == TransformerDevice.Cuda ? CUDA : CPU;

    /// <summary>Where a training phase (one per unfreezing step, or the feature head) keeps its checkpoints; null = none.</summary>
    private static string? PhaseCheckpoints(FitContext context, string phase) =>
        context.CheckpointDirectory == null ? null : Path.Combine(context.CheckpointDirectory, phase);

    public void Fit(MultiLabelDataset train, MultiLabelDataset? validation, FitContext context)
    {
        FitArguments.Check(train, validation, LabelNames, ProblemType, Options.Training);
        RequireDevice(Options.Device);
        var monitor = context.Monitor;
        using var threads = TorchThreads.Use(Options.Training.Threads);
        DisposeModel();
        head?.Dispose();
        head = null;
        torch.manual_seed(Seed);
        string? folder = Options.Pretrained == null ? null : ModelStore.FromEnvironment().Resolve(Options.Pretrained);
        Options = Options with { Pooling = Options.Pooling ?? ParsePooling(folder == null ? null : ModelStore.RecordedPooling(folder)) ?? TransformerPooling.Pooler };
        (model, tokenizer) = folder != null ? LoadPretrained(folder, monitor) : BuildFromScratch(Options.FromScratch!);
        CheckMaxLength(model.Config, Options.MaxLength, "model.max_length");
        model.Module.to(TorchDevice);
        BindClassifierWeights();
        monitor.Log($"{model.Config.ModelType} encoder: {model.Config.NumHiddenLayers} layers × {model.Config.HiddenSize} hidden, " +
            $"{model.Module.parameters().Sum(p => p.numel()):N0} parameters; mode {Options.Mode}, pooling {Options.Pooling}");

        var trainTexts = Encode(train.Texts);
        var validationTexts = validation == null ? null : Encode(validation.Texts);
        if (Options.Mode == TransformerMode.FeatureExtract) FitHead(train, trainTexts, validation, validationTexts, context);
        else FineTune(train, trainTexts, validation, validationTexts, context);
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
            float[] values = OutputProbabilities.Of(logits, ProblemType).cpu().contiguous().data<float>().ToArray();
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
        ModelManifest.Write(directory, ArchitectureName, LabelNames, Options, Seed, ProblemType);
    }

    /// <summary>Loads a model saved by <see cref="Save"/>.</summary>
    public static TransformerClassifier Load(string directory)
    {
        var (labels, options, seed, problemType) = ModelManifest.Read<TransformerClassifierOptions>(directory);
        RequireDevice(options.Device);
        options = options with { Pooling = options.Pooling ?? TransformerPooling.Pooler };
        string folder = Path.Combine(directory, HuggingFaceFolder);
        var classifier = new TransformerClassifier(options, labels, seed ?? 0, problemType);
        var (model, _) = HuggingFaceClassifier.LoadClassifier(folder);
        classifier.model = model;
        if (!model.Config.Labels.SequenceEqual(labels))
        {
            classifier.Dispose();
            throw new SentioException($"{Path.Combine(folder, HfModelFolder.ConfigFile)}: id2label differs from the labels in {ModelManifest.FileName}");
        }
        classifier.tokenizer = TransformerTokenizers.FromFolder(folder);
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

    public long ParameterCount =>
        (model?.Module.parameters().Sum(p => p.numel()) ?? 0) + (head?.parameters().Sum(p => p.numel()) ?? 0);

    public void Dispose()
    {
        DisposeModel();
        head?.Dispose();
        head = null;
    }

    private void FineTune(MultiLabelDataset train, EncodedText[] trainTexts, MultiLabelDataset? validation, EncodedText[]? validationTexts, FitContext context)
    {
        var monitor = context.Monitor;
        var trainSplit = new NeuralSplit(train.Count, train.LabelMatrix(), indices => Logits(trainTexts, indices), trainTexts.Select(t => t.Length).ToArray());
        var validationSplit = validation == null ? null
            : new NeuralSplit(validation.Count, validation.LabelMatrix(), indices => Logits(validationTexts!, indices));
        int layerCount = model!.Config.NumHiddenLayers;
        double Multiplier(string name) => LearningRateMultiplier(name, model.Config.Family.StateDictPrefix, layerCount, Options);

        IReadOnlyList<UnfreezeStep> schedule = Options.UnfreezeSchedule.Count > 0 ? Options.UnfreezeSchedule : [new UnfreezeStep()];
        for (int i = 0; i < schedule.Count; i++)
        {
            int first = schedule[i].Epoch, end = i + 1 < schedule.Count ? schedule[i + 1].Epoch : Options.Training.Epochs;
            Unfreeze(model, schedule[i].Layers);
            if (schedule.Count > 1)
                monitor.Log($"epochs {first + 1}-{end}: {(schedule[i].Layers is { } n && n < layerCount ? $"head and top {n} of {layerCount} layers" : "all layers")} train");
            // Weight averaging belongs to the run's last epochs, so only the last phase averages (within itself).
            var phase = Options.Training with
            {
                Epochs = end - first,
                AverageLastEpochs = i == schedule.Count - 1 ? Math.Min(Options.Training.AverageLastEpochs, end - first) : 0,
            };
            string? checkpoints = PhaseCheckpoints(context, $"phase-{i + 1}");
            new NeuralTrainer(phase, Seed + first, ProblemType).Train(model.Module, trainSplit, validationSplit, new EpochOffsetMonitor(monitor, first), checkpoints,
                NeuralTrainer.HasCheckpoint(checkpoints), Multiplier, context.Cancellation);
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
        public void TrainingStepEnded(TrainingStep step) => inner.TrainingStepEnded(step);
    }

    private void FitHead(MultiLabelDataset train, EncodedText[] trainTexts, MultiLabelDataset? validation, EncodedText[]? validationTexts, FitContext context)
    {
        var monitor = context.Monitor;
        if (Options.Pooling == TransformerPooling.Pooler && model is not BertForSequenceClassification)
            throw new SentioException($"model.pooling: 'pooler' in feature_extract mode needs an encoder with a pooler (BERT); {model!.Config.ModelType} has none — use cls or mean");
        foreach (var (_, parameter) in model!.Module.named_parameters()) parameter.requires_grad = false;
        using var trainFeatures = ComputeFeatures(trainTexts, "train features", monitor);
        using var validationFeatures = validationTexts == null ? null : ComputeFeatures(validationTexts, "validation features", monitor);
        torch.manual_seed(Seed);
        head = new FeatureHead(model.Config.HiddenSize, Options.HeadHidden, LabelNames.Count, Options.Dropout);
        head.to(TorchDevice);
        var net = head;
        Tensor Rows(Tensor features, IReadOnlyList<int> indices) =>
            net.forward(features.index_select(0, tensor(indices.Select(i => (long)i).ToArray()).to(TorchDevice)));
        var trainSplit = new NeuralSplit(train.Count, train.LabelMatrix(), indices => Rows(trainFeatures, indices));
        var validationSplit = validation == null ? null
            : new NeuralSplit(validation.Count, validation.LabelMatrix(), indices => Rows(validationFeatures!, indices));
        string? checkpoints = PhaseCheckpoints(context, "head");
        new NeuralTrainer(Options.Training, Seed, ProblemType).Train(head, trainSplit, validationSplit, monitor, checkpoints, NeuralTrainer.HasCheckpoint(checkpoints),
            cancellation: context.Cancellation);
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
        string layer = model.Config.Family.ClassifierLayer;
        classifierWeight = parameters[layer + ".weight"];
        classifierBias = parameters[layer + ".bias"];
    }

    private (ITransformerClassifier, ITransformerTokenizer) BuildFromScratch(ScratchEncoderOptions scratch)
    {
        string path = Path.GetFullPath(scratch.Vocab!);
        if (!File.Exists(path)) throw new SentioException($"model.from_scratch.vocab: {path}: not found");
        var wordPiece = new WordPieceTokenizer(WordPieceTokenizer.ReadVocabulary(path), new WordPieceOptions { DoLowerCase = Options.Lowercase ?? true }, path);
        var family = EncoderFamilies.Get(scratch.ModelType, "model.from_scratch");
        var config = new TransformerConfig
        {
            ModelType = scratch.ModelType,
            VocabSize = wordPiece.VocabularySize,
            HiddenSize = scratch.Hidden,
            NumHiddenLayers = scratch.Layers,
            NumAttentionHeads = scratch.Heads,
            IntermediateSize = scratch.Intermediate,
            // RoBERTa numbers positions from pad_token_id + 1, so its table needs that many more rows.
            MaxPositionEmbeddings = family.PositionTableSize(scratch.MaxPositionEmbeddings, wordPiece.PadTokenId),
            TypeVocabSize = family.TypeVocabSize,
            PadTokenId = wordPiece.PadTokenId,
            ClassifierDropout = Options.Dropout,
            Labels = LabelNames,
            ProblemType = ModelManifest.ProblemTypeName(ProblemType),
        };
        return (family.Create(config), wordPiece);
    }

    private static void CheckMaxLength(TransformerConfig config, int maxLength, string key)
    {
        int usable = config.Family.UsablePositions(config);
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
