namespace Sentio.Data;

/// <summary>A dataset read as single-label (<c>problem_type: single_label_classification</c>): exactly one class per text.</summary>
public static class SingleLabelClasses
{
    /// <summary>The class index of each example, [examples].</summary>
    /// <exception cref="SentioException">An example with no label or with several; the message names its file and line.</exception>
    public static int[] Of(MultiLabelDataset dataset)
    {
        var classes = new int[dataset.Count];
        for (int i = 0; i < dataset.Count; i++)
        {
            TextExample example = dataset.Examples[i];
            if (example.Labels.Length != 1)
                throw SentioException.At(example.Source, example.Line, example.Labels.Length == 0
                    ? "no label; a single-label dataset needs exactly one class per text (drop_unlabeled: true drops such rows)"
                    : $"{example.Labels.Length} labels ({string.Join(", ", example.Labels.Select(l => dataset.LabelNames[l]))}); a single-label dataset has exactly one class per text");
            classes[i] = example.Labels[0];
        }
        return classes;
    }
}
