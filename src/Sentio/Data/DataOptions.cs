using Sentio.Configuration;

namespace Sentio.Data;

/// <summary>How a labelled file is laid out.</summary>
public enum DataFormat
{
    /// <summary>GoEmotions: no header, <c>text&lt;TAB&gt;label indices&lt;TAB&gt;id</c>, names in labels.txt
    /// (config value <c>goemotions_tsv</c>).</summary>
    GoemotionsTsv,

    /// <summary>CSV with a text column and one 0/1 column per label (<c>wide_csv</c>).</summary>
    WideCsv,

    /// <summary>CSV with a text column and one column listing the labels (<c>label_list_csv</c>).</summary>
    LabelListCsv,

    /// <summary>JSON Lines in the Hugging Face datasets layouts (<c>jsonl</c>); see <see cref="RecordFileReader"/>.</summary>
    Jsonl,

    /// <summary>Parquet in the Hugging Face datasets layouts (<c>parquet</c>); see <see cref="RecordFileReader"/>.</summary>
    Parquet,
}

/// <summary>The <c>data:</c> section of a config: which dataset to train and evaluate on and how its files
/// are read. Either <see cref="Dataset"/> (a built-in dataset, fetched when needed) or <see cref="Train"/>
/// (with optional <see cref="Validation"/> and <see cref="Test"/>) is set. A split without a file is carved
/// from train by iterative stratification.</summary>
public sealed record DataOptions : IValidatableOptions
{
    /// <summary>A built-in dataset name (see <see cref="DatasetRegistry.Names"/>), e.g. <c>goemotions/original</c>.
    /// Default: null.</summary>
    public string? Dataset { get; init; }

    /// <summary>The training file; relative paths resolve against the config file's folder. Default: null.</summary>
    public string? Train { get; init; }

    /// <summary>The validation file; null carves <see cref="ValidationFraction"/> of train. Default: null.</summary>
    public string? Validation { get; init; }

    /// <summary>The test file; null carves <see cref="TestFraction"/> of train. Default: null.</summary>
    public string? Test { get; init; }

    /// <summary>The files' layout; null infers it: <c>.jsonl</c> / <c>.json</c> is JSON Lines, <c>.parquet</c> Parquet;
    /// any other file is delimited (see <see cref="DatasetLoader.InferFormat"/>): headerless in the GoEmotions layout is
    /// GoEmotions TSV, a label-list column (or <see cref="LabelColumn"/> set) makes a label-list file, else wide.
    /// Default: null.</summary>
    public DataFormat? Format { get; init; }

    /// <summary>The field delimiter of a delimited file: <c>"\t"</c> (or <c>tab</c>), <c>","</c>, <c>";"</c> or
    /// <c>"|"</c>; null sniffs it from the content. Tab-separated files are read without quoting. Default: null.</summary>
    public string? Delimiter { get; init; }

    /// <summary>Whether a delimited file's first row names its columns; null sniffs it. Default: null.</summary>
    public bool? Header { get; init; }

    /// <summary>Column names for delimited files without a header, e.g. <c>[text, label]</c>. Default: null.</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>The delimiter, header and columns keys as one layout.</summary>
    public DelimitedLayout ToLayout() => new(Delimiter is { } d ? ParseDelimiter(d) : null, Header, Columns);

    /// <summary>The text column of a CSV; null tries text, comment_text, sentence, content, review, tweet. Default: null.</summary>
    public string? TextColumn { get; init; }

    /// <summary>The id column of a CSV; null uses <c>id</c> when present. Default: null.</summary>
    public string? IdColumn { get; init; }

    /// <summary>The column listing each text's labels (label-list CSV). Default: null (tries labels, label, emotions, emotion).</summary>
    public string? LabelColumn { get; init; }

    /// <summary>The 0/1 label columns of a wide CSV, in order; null infers them. Default: null.</summary>
    public IReadOnlyList<string>? LabelColumns { get; init; }

    /// <summary>A file with one label name per line: the label order for GoEmotions TSV (default: labels.txt beside
    /// the train file) and the fixed label set for a label-list CSV. Default: null.</summary>
    public string? LabelsFile { get; init; }

    /// <summary>The share of train carved out as validation when there is no validation file. Default: 0.1.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>The share of train carved out as test when there is no test file. Default: 0.1.</summary>
    public double TestFraction { get; init; } = 0.1;

    /// <summary>The seed of the splits carved from train and of <c>sentio cv</c>'s folds; null = the config's <c>seed</c>.
    /// Set it to vary the model's seed (initialisation, shuffling, dropout) over the same splits and folds: cv runs that
    /// differ only in <c>seed</c> then predict the same texts out of fold, and <c>sentio ensemble</c> averages them out of
    /// fold. Default: null.</summary>
    public int? SplitSeed { get; init; }

    /// <summary>Drop texts with no label from every split; the number dropped per split is reported. Default: false.</summary>
    public bool DropUnlabeled { get; init; }

    public IEnumerable<ConfigError> Validate()
    {
        if (Dataset != null && Train != null)
            yield return new ConfigError("dataset", $"set either dataset or train, not both (dataset '{Dataset}', train '{Train}')");
        if (Dataset == null && Train == null)
            yield return new ConfigError("dataset", $"set dataset (one of: {string.Join(", ", DatasetRegistry.Names)}) or train (a file path)");
        if (Dataset != null && !DatasetRegistry.TryGet(Dataset, out _))
            yield return new ConfigError("dataset", $"unknown dataset '{Dataset}'; known: {string.Join(", ", DatasetRegistry.Names)}");
        if (Dataset != null && (Validation != null || Test != null || LabelsFile != null || Format != null))
            yield return new ConfigError("dataset", $"the built-in dataset '{Dataset}' brings its own files and format; remove validation, test, labels_file and format, or dataset");
        if (Dataset == null && Train == null && (Validation != null || Test != null))
            yield return new ConfigError("train", "validation/test files are given but no train file");
        if (!(ValidationFraction > 0 && ValidationFraction < 0.5))
            yield return new ConfigError("validation_fraction", $"expected a number in (0, 0.5), got {ValidationFraction}");
        if (!(TestFraction > 0 && TestFraction < 0.5))
            yield return new ConfigError("test_fraction", $"expected a number in (0, 0.5), got {TestFraction}");
        if (LabelColumns != null && LabelColumn != null)
            yield return new ConfigError("label_columns", "set label_columns (a wide CSV) or label_column (a label-list CSV), not both");
        if (LabelColumns is { Count: 0 })
            yield return new ConfigError("label_columns", "the list is empty; remove the key to infer the label columns");
        if (LabelColumns != null && Format is DataFormat.GoemotionsTsv or DataFormat.LabelListCsv)
            yield return new ConfigError("label_columns", $"only a wide_csv file has label columns (format is {FormatName(Format.Value)})");
        if (Delimiter != null && ParseDelimiter(Delimiter) == null)
            yield return new ConfigError("delimiter", $"expected one of \"\\t\" (tab), \",\", \";\", \"|\", got \"{Delimiter}\"");
        if (Columns is { Count: 0 })
            yield return new ConfigError("columns", "the list is empty; remove the key to read the names from the header");
        if (Columns != null && Header == true)
            yield return new ConfigError("columns", "columns names the fields of a file without a header; remove columns or set header: false");
        if (LabelColumn != null && Format is DataFormat.GoemotionsTsv or DataFormat.WideCsv)
            yield return new ConfigError("label_column", $"only a label_list_csv file has a label column (format is {FormatName(Format.Value)})");
    }

    /// <summary>The config spelling of a format, e.g. <c>wide_csv</c>.</summary>
    public static string FormatName(DataFormat format) => format switch
    {
        DataFormat.GoemotionsTsv => "goemotions_tsv",
        DataFormat.WideCsv => "wide_csv",
        DataFormat.LabelListCsv => "label_list_csv",
        DataFormat.Jsonl => "jsonl",
        _ => "parquet",
    };

    private static char? ParseDelimiter(string value) => value switch
    {
        "\t" or "tab" or "\\t" => '\t',
        "," or ";" or "|" => value[0],
        _ => null,
    };
}
