using Sentio.Data;
using Sentio.Training;

namespace Sentio.Models;

/// <summary>The one contract every Sentio model meets, in the spirit of scikit-learn's fit / predict_proba:
/// a model is built from its options (touching no data), fitted once, asked for probabilities, saved to a
/// folder and loaded back from it by <see cref="ModelCatalog.Load"/>.</summary>
public interface IMultiLabelClassifier : IDisposable
{
    /// <summary>The versioned architecture name, such as <c>sentio.NGramLinear.v1</c>, saved with the model.</summary>
    string Architecture { get; }

    /// <summary>Label names in output-column order.</summary>
    IReadOnlyList<string> LabelNames { get; }

    /// <summary>Trains on <paramref name="train"/>. <paramref name="validation"/> serves early stopping and
    /// best-checkpoint selection where the model has them; it is never trained on.</summary>
    void Fit(MultiLabelDataset train, MultiLabelDataset? validation, ITrainingMonitor monitor);

    /// <summary>How many learned numbers (weights, biases, embeddings) the fitted model holds; 0 before fitting.</summary>
    long ParameterCount { get; }

    /// <summary>Per-label probabilities: [texts] → [texts, labels], each in [0, 1].</summary>
    double[,] PredictProbabilities(IReadOnlyList<string> texts);

    /// <summary>Writes everything needed to load the model into <paramref name="directory"/> (created if absent).</summary>
    void Save(string directory);
}
