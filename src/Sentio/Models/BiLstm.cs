using Sentio.Configuration;
using Sentio.Data;
using Sentio.Text;
using Sentio.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Models;

/// <summary>How the BiLSTM's per-token states become one vector per text.</summary>
public enum BiLstmPooling
{
    /// <summary>The forward state at the text's last real token joined with the backward state at its first token.</summary>
    Last,
    /// <summary>Element-wise maximum over the text's real tokens.</summary>
    Max,
    /// <summary>Additive (Bahdanau) attention over the text's real tokens.</summary>
    Attention,
}

/// <summary>The <c>model:</c> section of <c>sentio.BiLstmClassifier.v1</c>. The defaults (max pooling, a
/// 200-dimensional embedding trained from scratch, 1 layer of 2 × 128 units, dropout 0.2, 8 epochs at 4e-3)
/// reached test macro-F1 0.469 on GoEmotions (28 labels) with per-label thresholds tuned on dev; last pooling
/// reached 0.449. The same settings with dropout 0.4, 5 epochs at 2e-3 reached only 0.383.</summary>
public sealed record BiLstmOptions : IValidatableOptions, IOptionsWithPaths, INeuralModelOptions
{
    /// <summary>Word embedding size; must match the vector file when <see cref="Embeddings"/> is set. Default 200.</summary>
    public int EmbeddingDim { get; init; } = 200;

    /// <summary>LSTM units per direction. Default 128.</summary>
    public int HiddenSize { get; init; } = 128;

    /// <summary>Stacked bidirectional layers, 1 or 2. Default 1.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Default max.</summary>
    public BiLstmPooling Pooling { get; init; } = BiLstmPooling.Max;

    /// <summary>Dropout on the embeddings, between LSTM layers and on the pooled vector. Default 0.2.</summary>
    public double Dropout { get; init; } = 0.2;

    /// <summary>Lowercase words before lookup (placeholders such as [NAME] are kept). Default true.</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>Training-split occurrences a word needs to enter the vocabulary. Default 2.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Largest vocabulary, &lt;pad&gt; and &lt;unk&gt; included. Default 30000.</summary>
    public int MaxVocabSize { get; init; } = 30_000;

    /// <summary>Tokens kept per text; the rest are cut. Default 64.</summary>
    public int MaxLength { get; init; } = 64;

    /// <summary>A GloVe / word2vec text file to initialise the embeddings from; null = random initialisation. Default null.</summary>
    public string? Embeddings { get; init; }

    public object WithAbsolutePaths(string baseDirectory) =>
        this with { Embeddings = Embeddings == null ? null : Path.GetFullPath(Embeddings, baseDirectory) };

    /// <summary>Keep the pretrained embeddings fixed during training (needs <see cref="Embeddings"/>). Default false.</summary>
    public bool FreezeEmbeddings { get; init; }

    /// <summary>Optimisation settings; the <c>training:</c> section. Defaults differ from
    /// <see cref="NeuralTrainingOptions"/>'s in two places: learning_rate 4e-3 and epochs 8 (embeddings trained
    /// from scratch need the larger steps; 5 epochs at 2e-3 with dropout 0.4 underfit GoEmotions).</summary>
    public NeuralTrainingOptions Training { get; init; } = new() { LearningRate = 4e-3, Epochs = 8 };

    public IEnumerable<ConfigError> Validate()
    {
        if (EmbeddingDim < 1) yield return new("embedding_dim", $"expected an integer >= 1, got {EmbeddingDim}");
        if (HiddenSize < 1) yield return new("hidden_size", $"expected an integer >= 1, got {HiddenSize}");
        if (Layers is < 1 or > 2) yield return new("layers", $"expected 1 or 2, got {Layers}");
        if (!(Dropout >= 0 && Dropout < 1)) yield return new("dropout", $"expected a number in [0, 1), got {Dropout}");
        if (MinFrequency < 1) yield return new("min_frequency", $"expected an integer >= 1, got {MinFrequency}");
        if (MaxVocabSize < 3) yield return new("max_vocab_size", $"expected an integer >= 3 (room for <pad>, <unk> and a word), got {MaxVocabSize}");
        if (MaxLength < 1) yield return new("max_length", $"expected an integer >= 1, got {MaxLength}");
        if (FreezeEmbeddings && Embeddings == null) yield return new("freeze_embeddings", "needs 'embeddings' (a word vector file); set embeddings or freeze_embeddings: false");
        foreach (var error in Training.Validate().Concat(Training.ValidateDevice(cuda: false))) yield return error with { Key = "training." + error.Key };
    }
}

/// <summary>Embedding → bidirectional LSTM (packed sequences, so padding never reaches the recurrence) →
/// pooling over each text's real tokens → dropout → linear head. Module names are checkpoint keys.</summary>
public sealed class BiLstmNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly LSTM lstm;
    private readonly Linear? attention_projection;
    private readonly Linear? attention_score;
    private readonly Dropout dropout;
    private readonly Linear head;
    private readonly BiLstmPooling pooling;

    public BiLstmNetwork(int vocabularySize, BiLstmOptions options, int labelCount) : base(nameof(BiLstmNetwork))
    {
        pooling = options.Pooling;
        embedding = nn.Embedding(vocabularySize, options.EmbeddingDim, padding_idx: Vocabulary.PaddingId);
        lstm = nn.LSTM(options.EmbeddingDim, options.HiddenSize, options.Layers, batchFirst: true,
            dropout: options.Layers > 1 ? options.Dropout : 0, bidirectional: true);
        if (pooling == BiLstmPooling.Attention)
        {
            attention_projection = nn.Linear(2 * options.HiddenSize, 2 * options.HiddenSize);
            attention_score = nn.Linear(2 * options.HiddenSize, 1, hasBias: false);
        }
        dropout = nn.Dropout(options.Dropout);
        head = nn.Linear(2 * options.HiddenSize, labelCount);
        RegisterComponents();
    }

    /// <summary>The embedding table [vocabulary, embedding_dim].</summary>
    public Parameter EmbeddingWeight => embedding.weight!;

    /// <summary>Logits [batch, labels] for <paramref name="tokens"/> [batch, time] (int64 ids, padded with 0 after
    /// each text) whose real lengths are <paramref name="lengths"/> [batch] (int64, each ≥ 1).</summary>
    public override Tensor forward(Tensor tokens, Tensor lengths)
    {
        using var scope = NewDisposeScope();
        var embedded = dropout.call(embedding.call(tokens));
        using var packed = nn.utils.rnn.pack_padded_sequence(embedded, lengths, batch_first: true, enforce_sorted: false);
        var (output, finalHidden, _) = lstm.call(packed);
        Tensor pooled;
        if (pooling == BiLstmPooling.Last)
        {
            // finalHidden: [layers · 2, batch, hidden]; the last two rows are the top layer's forward state after
            // each text's last real token and its backward state after reading back to the first token.
            pooled = cat([finalHidden[^2], finalHidden[^1]], 1);
        }
        else
        {
            var (states, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true); // [batch, time', 2 · hidden]
            var valid = arange(states.shape[1]).unsqueeze(0) < lengths.unsqueeze(1);   // [batch, time']
            if (pooling == BiLstmPooling.Max)
                pooled = states.masked_fill(valid.logical_not().unsqueeze(2), float.NegativeInfinity).amax([1]);
            else
            {
                var scores = attention_score!.call(attention_projection!.call(states).tanh()).squeeze(2); // [batch, time']
                var weights = scores.masked_fill(valid.logical_not(), float.NegativeInfinity).softmax(1);
                pooled = (weights.unsqueeze(2) * states).sum(1);
            }
        }
        output.Dispose();
        return head.call(dropout.call(pooled)).MoveToOuterDisposeScope();
    }
}

/// <summary>A BiLSTM text classifier over a word vocabulary built from the training split, with optional
/// pretrained word vectors, trained by <see cref="NeuralTrainer"/>. Saved as <c>model.json</c> (options,
/// labels), <c>vocab.txt</c> and <c>weights.bin</c>.</summary>
public sealed class BiLstmClassifier : ITrainableClassifier
{
    public const string ArchitectureName = "sentio.BiLstmClassifier.v1";
    private const string VocabularyFile = "vocab.txt";
    private const string WeightsFile = "weights.bin";
    private const int PredictionBatchSize = 256;

    private readonly WordTokenizer tokenizer;
    private Vocabulary? vocabulary;
    private BiLstmNetwork? network;

    /// <param name="seed">Seeds initialisation and training.</param>
    /// <param name="problemType">Single-label trains softmax cross-entropy and predicts a softmax; multi-label one sigmoid per label.</param>
    public BiLstmClassifier(BiLstmOptions options, IReadOnlyList<string> labelNames, int seed,
        ProblemType problemType = ProblemType.MultiLabelClassification)
    {
        Options = options;
        Seed = seed;
        ProblemType = problemType;
        LabelNames = labelNames;
        tokenizer = new WordTokenizer(options.Lowercase);
    }

    public string Architecture => ArchitectureName;
    public IReadOnlyList<string> LabelNames { get; }
    public BiLstmOptions Options { get; }
    public int Seed { get; }
    public ProblemType ProblemType { get; }
    public bool WritesCheckpoints => true;

    public void Fit(MultiLabelDataset train, MultiLabelDataset? validation, FitContext context)
    {
        FitArguments.Check(train, validation, LabelNames, ProblemType, Options.Training);
        var monitor = context.Monitor;
        var trainTokens = train.Texts.Select(tokenizer.Tokenize).ToArray();
        vocabulary = Vocabulary.Build(trainTokens, Options.MinFrequency, Options.MaxVocabSize);
        monitor.Log($"vocabulary: {vocabulary.Count} tokens (min frequency {Options.MinFrequency}, max {Options.MaxVocabSize})");

        network?.Dispose();
        torch.manual_seed(Seed);
        network = new BiLstmNetwork(vocabulary.Count, Options, LabelNames.Count);
        if (Options.Embeddings != null) LoadPretrained(Options.Embeddings, monitor);

        int[][] trainIds = trainTokens.Select(Encode).ToArray();
        int[][]? validationIds = validation?.Texts.Select(t => Encode(tokenizer.Tokenize(t))).ToArray();
        var net = network;
        var trainSplit = new NeuralSplit(train.Count, train.LabelMatrix(), indices => Forward(net, trainIds, indices));
        var validationSplit = validation == null ? null
            : new NeuralSplit(validation.Count, validation.LabelMatrix(), indices => Forward(net, validationIds!, indices));
        string? checkpoints = context.CheckpointDirectory;
        new NeuralTrainer(Options.Training, Seed, ProblemType).Train(network, trainSplit, validationSplit, monitor, checkpoints,
            resume: NeuralTrainer.HasCheckpoint(checkpoints), cancellation: context.Cancellation);
        network.eval();
    }

    public double[,] PredictProbabilities(IReadOnlyList<string> texts)
    {
        if (network == null || vocabulary == null) throw new InvalidOperationException("The model is not fitted or loaded.");
        int[][] ids = texts.Select(t => Encode(tokenizer.Tokenize(t))).ToArray();
        var probabilities = new double[texts.Count, LabelNames.Count];
        network.eval();
        using var noGrad = torch.no_grad();
        for (int start = 0; start < texts.Count; start += PredictionBatchSize)
        {
            using var scope = NewDisposeScope();
            int[] indices = Enumerable.Range(start, Math.Min(PredictionBatchSize, texts.Count - start)).ToArray();
            float[] values = OutputProbabilities.Of(Forward(network, ids, indices), ProblemType).contiguous().data<float>().ToArray();
            for (int i = 0; i < indices.Length; i++)
                for (int j = 0; j < LabelNames.Count; j++)
                    probabilities[start + i, j] = values[i * LabelNames.Count + j];
        }
        return probabilities;
    }

    public void Save(string directory)
    {
        if (network == null || vocabulary == null) throw new InvalidOperationException("The model is not fitted or loaded.");
        Directory.CreateDirectory(directory);
        vocabulary.Save(Path.Combine(directory, VocabularyFile));
        IO.AtomicFile.Write(Path.Combine(directory, WeightsFile), stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            network.save(writer);
        });
        ModelManifest.Write(directory, ArchitectureName, LabelNames, Options, Seed, ProblemType);
    }

    /// <summary>Loads a model saved by <see cref="Save"/>.</summary>
    public static BiLstmClassifier Load(string directory)
    {
        var (labels, options, seed, problemType) = ModelManifest.Read<BiLstmOptions>(directory);
        var classifier = new BiLstmClassifier(options, labels, seed ?? 0, problemType);
        classifier.vocabulary = Vocabulary.Load(Path.Combine(directory, VocabularyFile));
        classifier.network = new BiLstmNetwork(classifier.vocabulary.Count, options, labels.Count);
        classifier.network.load(Path.Combine(directory, WeightsFile), strict: true);
        classifier.network.eval();
        return classifier;
    }

    public long ParameterCount => network?.parameters().Sum(p => p.numel()) ?? 0;

    public void Dispose() => network?.Dispose();

    /// <summary>Token ids of one text, cut to max_length; an empty text becomes a single &lt;unk&gt;
    /// (a packed sequence needs at least one step).</summary>
    private int[] Encode(IReadOnlyList<string> tokens) =>
        tokens.Count == 0 ? [Vocabulary.UnknownId] : tokens.Take(Options.MaxLength).Select(vocabulary!.IdOf).ToArray();

    /// <summary>Logits [indices, labels] for the texts at <paramref name="indices"/> of <paramref name="ids"/>.</summary>
    private static Tensor Forward(BiLstmNetwork network, int[][] ids, IReadOnlyList<int> indices)
    {
        int width = indices.Max(i => ids[i].Length);
        var tokens = new long[indices.Count * width];
        var lengths = new long[indices.Count];
        for (int row = 0; row < indices.Count; row++)
        {
            int[] text = ids[indices[row]];
            lengths[row] = text.Length;
            for (int t = 0; t < text.Length; t++) tokens[row * width + t] = text[t];
        }
        using var tokenTensor = tensor(tokens, [indices.Count, width]);
        using var lengthTensor = tensor(lengths);
        return network.call(tokenTensor, lengthTensor);
    }

    private void LoadPretrained(string path, ITrainingMonitor monitor)
    {
        var (rows, dimension, coverage) = WordVectors.Load(path, vocabulary!);
        if (dimension != Options.EmbeddingDim)
            throw new SentioException($"model.embedding_dim: {Options.EmbeddingDim}, but the vectors in {path} have {dimension} dimensions; set embedding_dim: {dimension}");
        monitor.Log($"word vectors: {coverage:P1} of {vocabulary!.Count - 2} vocabulary words found in {path}");
        using (torch.no_grad())
        using (NewDisposeScope())
        {
            var weight = network!.EmbeddingWeight;
            for (int id = 0; id < rows.Length; id++)
                if (rows[id] is { } row)
                    weight[id].copy_(tensor(row));
            if (Options.FreezeEmbeddings) weight.requires_grad = false;
        }
    }
}
