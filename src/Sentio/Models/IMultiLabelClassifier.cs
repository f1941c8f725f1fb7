using Sentio.Data;
using Sentio.Training;

namespace Sentio.Models;

/// <summary>The predictor contract every loadable Sentio model meets — trained models, ensembles, the label-graph
/// refiner, imported folders — in the spirit of scikit-learn's predict_proba: ask for probabilities, save to a folder,
/// load back from it through the catalog.</summary>
public interface IMultiLabelClassifier : IDisposable
{
    /// <summary>The versioned architecture name, such as <c>sentio.NGramLinear.v1</c>, saved with the model.</summary>
    string Architecture { get; }

    /// <summary>Label names in output-column order.</summary>
    IReadOnlyList<string> LabelNames { get; }

    /// <summary>How many learned numbers (weights, biases, embeddings) the model holds; 0 before fitting.</summary>
    long ParameterCount { get; }

    /// <summary>Multi-label (one sigmoid per label) or single-label (a softmax over the labels, each row summing to 1);
    /// models assembled from others (ensembles, the refiner) are multi-label.</summary>
    ProblemType ProblemType => ProblemType.MultiLabelClassification;

    /// <summary>Per-label probabilities: [texts] → [texts, labels], each in [0, 1].</summary>
    double[,] PredictProbabilities(IReadOnlyList<string> texts);

    /// <summary>Writes everything needed to load the model into <paramref name="directory"/> (created if absent).</summary>
    void Save(string directory);
}

/// <summary>A model that a config trains: built from its options record (touching no data), then fitted once.</summary>
public interface ITrainableClassifier : IMultiLabelClassifier
{
    /// <summary>Whether <see cref="Fit"/> writes resumable checkpoints into <see cref="FitContext.CheckpointDirectory"/>
    /// (step-wise neural models); a one-pass model ignores the folder.</summary>
    bool WritesCheckpoints { get; }

    /// <summary>Trains on <paramref name="train"/>. <paramref name="validation"/> serves early stopping and best-epoch
    /// selection where the model has them; it is never trained on.</summary>
    /// <exception cref="SentioException">An empty training split, or splits whose labels differ from the model's.</exception>
    /// <exception cref="OperationCanceledException"><see cref="FitContext.Cancellation"/> was cancelled; a model that writes
    /// checkpoints leaves one to resume from.</exception>
    void Fit(MultiLabelDataset train, MultiLabelDataset? validation, FitContext context);
}
