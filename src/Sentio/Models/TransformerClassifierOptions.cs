using Sentio.Checkpoints;
using Sentio.Configuration;
using Sentio.Training;

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
    /// <summary>One of <see cref="EncoderFamilies.ModelTypes"/>. Default bert.</summary>
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
        if (!EncoderFamilies.ModelTypes.Contains(ModelType)) yield return new("model_type", $"expected one of {string.Join(", ", EncoderFamilies.ModelTypes)}, got '{ModelType}'");
        if (Layers < 1) yield return new("layers", $"expected an integer >= 1, got {Layers}");
        if (Heads < 1) yield return new("heads", $"expected an integer >= 1, got {Heads}");
        if (Hidden < 1 || (Heads >= 1 && Hidden % Heads != 0)) yield return new("hidden", $"expected a positive multiple of heads ({Heads}), got {Hidden}");
        if (Intermediate < 1) yield return new("intermediate", $"expected an integer >= 1, got {Intermediate}");
        if (MaxPositionEmbeddings < 3) yield return new("max_position_embeddings", $"expected an integer >= 3, got {MaxPositionEmbeddings}");
        if (string.IsNullOrEmpty(Vocab)) yield return new("vocab", "missing: give the path of a WordPiece vocab.txt, e.g. ../shared/models/all-MiniLM-L6-v2/vocab.txt");
    }
}

/// <summary>The <c>model:</c> section of <c>sentio.TransformerClassifier.v1</c>.</summary>
public sealed record TransformerClassifierOptions : IValidatableOptions, IOptionsWithPaths, INeuralModelOptions
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

    /// <summary>How the encoder's states become one vector per text. Default: the pooling a registry model was trained
    /// with, recorded in its cache folder (mean for all-MiniLM-L6-v2, cls for snowflake-arctic-embed-xs); otherwise
    /// pooler (the checkpoint's own head). A fitted model saves the pooling it used.</summary>
    public TransformerPooling? Pooling { get; init; }

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
        foreach (var error in Training.Validate().Concat(Training.ValidateDevice(Device == TransformerDevice.Cuda)))
            yield return error with { Key = "training." + error.Key };
    }
}
