namespace Sentio.Data;

/// <summary>The config's top-level <c>problem_type</c>, named as Hugging Face's <c>config.json</c> names it. Set
/// explicitly, never inferred from the data (a one-label-per-row file only gets a hint in the log).</summary>
public enum ProblemType
{
    /// <summary>Any number of labels per text: one sigmoid per label, decisions by thresholds.</summary>
    MultiLabelClassification,

    /// <summary>Exactly one class per text: softmax over the classes, the prediction is the most probable class.</summary>
    SingleLabelClassification,
}
