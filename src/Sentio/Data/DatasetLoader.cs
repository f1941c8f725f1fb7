using System.Globalization;
using System.Text;

namespace Sentio.Data;

/// <summary>Where one split came from and what was done to it.</summary>
/// <param name="Split">train, validation or test.</param>
/// <param name="Origin">The file it was read from, or how it was carved, e.g. <c>stratified 10% of train.tsv (seed 42)</c>.</param>
/// <param name="Count">Examples in the split.</param>
/// <param name="DroppedUnlabeled">Rows without a label removed from the split's file by <see cref="DataOptions.DropUnlabeled"/>.</param>
public sealed record SplitInfo(string Split, string Origin, int Count, int DroppedUnlabeled);

/// <summary>How the three splits were obtained, so that nothing about them is silent.</summary>
public sealed record SplitReport(IReadOnlyList<SplitInfo> Splits)
{
    /// <summary>One line per split, e.g. <c>train       38,969 examples  stratified 80% of train.csv (seed 1)</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (SplitInfo split in Splits)
        {
            text.Append(CultureInfo.InvariantCulture, $"{split.Split,-11} {split.Count,8:N0} examples  {split.Origin}");
            if (split.DroppedUnlabeled > 0) text.Append(CultureInfo.InvariantCulture, $" ({split.DroppedUnlabeled:N0} unlabeled rows dropped)");
            text.AppendLine();
        }
        return text.ToString();
    }
}

/// <summary>Train, validation and test sets sharing one label list, and how each was obtained.</summary>
public sealed record DatasetSplits(MultiLabelDataset Train, MultiLabelDataset Validation, MultiLabelDataset Test, SplitReport Report)
{
    public IReadOnlyList<string> LabelNames => Train.LabelNames;

    /// <summary>The splits with their names, in the order train, validation, test.</summary>
    public IReadOnlyList<(string Name, MultiLabelDataset Dataset)> Named => [("train", Train), ("validation", Validation), ("test", Test)];
}

/// <summary>A text to predict on, with its id and where it came from.</summary>
public sealed record UnlabeledText(string? Id, string Text, string Source, int Line);

/// <summary>Turns the <c>data:</c> section of a config, or one file, into datasets.</summary>
public static class DatasetLoader
{
    /// <summary>Loads train, validation and test as <paramref name="options"/> describe. A built-in dataset is found
    /// (or downloaded) through <see cref="DatasetStore.FromEnvironment"/>. A split without a file is carved from train
    /// by <see cref="IterativeStratification"/> seeded with <paramref name="seed"/>.</summary>
    /// <param name="baseDirectory">The folder relative paths in <paramref name="options"/> resolve against (the config file's folder).</param>
    /// <param name="dataDir">The <c>--data-dir</c> argument, if given.</param>
    /// <param name="log">Where download progress lines go; null is silent.</param>
    /// <exception cref="SentioException">Invalid options, a missing or malformed file, a failed download, or splits whose labels differ.</exception>
    public static DatasetSplits Load(DataOptions options, string baseDirectory, int seed, string? dataDir = null, TextWriter? log = null) =>
        Load(options, baseDirectory, seed, DatasetStore.FromEnvironment(dataDir, log));

    /// <summary>As <see cref="Load(DataOptions, string, int, string?, TextWriter?)"/>, finding built-in datasets through <paramref name="store"/>.</summary>
    public static DatasetSplits Load(DataOptions options, string baseDirectory, int seed, DatasetStore store)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new SentioException(string.Join("; ", errors.Select(e => $"data.{e}")));

        if (options.Dataset != null)
        {
            DatasetEntry entry = DatasetRegistry.Get(options.Dataset);
            string folder = store.Resolve(entry);
            options = options with
            {
                Format = entry.Format,
                Train = Path.Combine(folder, entry.TrainFile),
                Validation = entry.ValidationFile is { } validationFile ? Path.Combine(folder, validationFile) : null,
                Test = Path.Combine(folder, entry.TestFile),
                LabelsFile = entry.LabelsFile is { } labelsFile ? Path.Combine(folder, labelsFile) : null,
            };
        }

        string trainPath = Resolve(baseDirectory, options.Train!);
        string? validationPath = options.Validation is { } v ? Resolve(baseDirectory, v) : null;
        string? testPath = options.Test is { } t ? Resolve(baseDirectory, t) : null;
        DataFormat format = options.Format ?? InferFormat(trainPath, options);

        MultiLabelDataset train = Read(trainPath, format, options, baseDirectory, labelNames: null);
        MultiLabelDataset? validation = validationPath != null ? Read(validationPath, format, options, baseDirectory, ExpectedLabels(format, options, train)) : null;
        MultiLabelDataset? test = testPath != null ? Read(testPath, format, options, baseDirectory, ExpectedLabels(format, options, train)) : null;
        if (format == DataFormat.LabelListCsv && options.LabelsFile == null)
            (train, validation, test) = OnUnionOfLabels(train, validation, test);

        var (trainDropped, validationDropped, testDropped) = (0, 0, 0);
        if (options.DropUnlabeled)
        {
            train = DropUnlabeled(train, out trainDropped);
            if (validation != null) validation = DropUnlabeled(validation, out validationDropped);
            if (test != null) test = DropUnlabeled(test, out testDropped);
        }

        string trainName = Path.GetFileName(trainPath);
        string trainOrigin = trainPath;
        string validationOrigin = validationPath ?? "", testOrigin = testPath ?? "";
        if (validation == null || test == null)
        {
            var shares = new List<double>();
            if (validation == null) shares.Add(options.ValidationFraction);
            if (test == null) shares.Add(options.TestFraction);
            int[] subsets = IterativeStratification.Split(train, [1 - shares.Sum(), .. shares], seed);
            int next = 1;
            if (validation == null)
            {
                validation = Subset(train, subsets, next++);
                validationOrigin = $"stratified {Percent(options.ValidationFraction)} of {trainName} (seed {seed})";
            }
            if (test == null)
            {
                test = Subset(train, subsets, next);
                testOrigin = $"stratified {Percent(options.TestFraction)} of {trainName} (seed {seed})";
            }
            train = Subset(train, subsets, 0);
            trainOrigin = $"{trainPath}, the remaining {Percent(1 - shares.Sum())} after carving";
        }

        foreach (var (name, dataset, origin) in new[] { ("train", train, trainOrigin), ("validation", validation, validationOrigin), ("test", test, testOrigin) })
            if (dataset.Count == 0)
                throw new SentioException($"data: the {name} split has no examples ({origin}){(options.DropUnlabeled ? " after dropping unlabeled rows" : "")}");

        var report = new SplitReport(
        [
            new SplitInfo("train", trainOrigin, train.Count, trainDropped),
            new SplitInfo("validation", validationOrigin, validation.Count, validationDropped),
            new SplitInfo("test", testOrigin, test.Count, testDropped),
        ]);
        return new DatasetSplits(train, validation, test, report);
    }

    /// <summary>Reads one labelled file with the column options of <paramref name="options"/> (its
    /// train/validation/test/dataset keys are ignored), for <c>sentio eval --data FILE</c>.</summary>
    /// <param name="labelNames">The labels the file must use, in this order (a trained model's); null takes them from
    /// the file (labels.txt beside a TSV, the CSV header or the labels found).</param>
    /// <param name="baseDirectory">The folder <see cref="DataOptions.LabelsFile"/> resolves against; null is the current folder.</param>
    /// <exception cref="SentioException">A missing or malformed file, or labels that differ from <paramref name="labelNames"/>.</exception>
    public static MultiLabelDataset ReadFile(string path, DataOptions options, IReadOnlyList<string>? labelNames = null, string? baseDirectory = null)
    {
        string folder = baseDirectory ?? Directory.GetCurrentDirectory();
        string fullPath = Resolve(folder, path);
        return Read(fullPath, options.Format ?? InferFormat(fullPath, options), options, folder, labelNames);
    }

    /// <summary>Texts and ids to predict on. A <c>.txt</c> file holds one text per line unless a delimiter splits every
    /// one of its first lines into the same number of fields. A
    /// <c>.jsonl</c> / <c>.parquet</c> file has a text field and an optional id field. Any other file is delimited
    /// (delimiter and header sniffed unless <paramref name="layout"/> sets them): a text column and an optional id
    /// column, or the headerless GoEmotions layout (text, labels, id). Label columns are ignored.</summary>
    /// <param name="textColumn">null tries text, comment_text, sentence, content, review, tweet.</param>
    /// <param name="idColumn">null uses <c>id</c> when present.</param>
    /// <exception cref="SentioException">A missing file or column, a malformed row, an empty text, no text at all.</exception>
    public static IReadOnlyList<UnlabeledText> ReadUnlabeled(string path, string? textColumn = null, string? idColumn = null, DelimitedLayout? layout = null)
    {
        string fileName = Path.GetFileName(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        layout ??= DelimitedLayout.Sniffed;
        var texts = new List<UnlabeledText>();
        void Add(string? id, string text, int line)
        {
            if (string.IsNullOrWhiteSpace(text)) throw SentioException.At(fileName, line, "empty text");
            texts.Add(new UnlabeledText(string.IsNullOrWhiteSpace(id) ? null : id.Trim(), text, fileName, line));
        }

        if (extension is ".jsonl" or ".json" or ".parquet")
        {
            var options = new DataOptions { TextColumn = textColumn, IdColumn = idColumn };
            var records = RecordFileReader.ReadTexts(path, options, parquet: extension == ".parquet");
            foreach (var (id, text, line) in records) Add(id, text, line);
            return NonEmpty(texts, fileName);
        }
        if (extension == ".txt" && layout.Delimiter == null && layout.Columns == null && DelimitedText.Sniff(DelimitedText.ReadAllText(path), agreement: 1) == null)
        {
            foreach (var (line, text) in DelimitedText.Lines(DelimitedText.ReadAllText(path))) Add(null, text, line);
            return NonEmpty(texts, fileName);
        }

        DelimitedTable table = DelimitedFile.Read(path, layout);
        CsvHeader header = table.Header;
        int textIndex = header.FindTextColumn(textColumn);
        int idIndex = header.FindIdColumn(idColumn);
        foreach (DelimitedRow row in table.Rows)
        {
            header.CheckFieldCount(row);
            Add(idIndex >= 0 ? row.Fields[idIndex] : null, row.Fields[textIndex], row.Line);
        }
        return NonEmpty(texts, fileName);
    }

    private static List<UnlabeledText> NonEmpty(List<UnlabeledText> texts, string fileName) =>
        texts.Count > 0 ? texts : throw new SentioException($"{fileName}: no texts to read");

    /// <summary>The format of <paramref name="path"/> when the config does not say: <c>.jsonl</c> / <c>.json</c> is
    /// JSON Lines, <c>.parquet</c> Parquet. Any other file is delimited, its delimiter and header sniffed unless set:
    /// headerless in the GoEmotions layout (text, label ids, id) with no <c>columns</c> is GoEmotions TSV; a label-list
    /// file when <see cref="DataOptions.LabelColumn"/> is set or a labels, label, emotions or emotion column exists;
    /// else a wide file.</summary>
    /// <exception cref="SentioException">An empty or malformed file.</exception>
    public static DataFormat InferFormat(string path, DataOptions options)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".jsonl" or ".json") return DataFormat.Jsonl;
        if (extension == ".parquet") return DataFormat.Parquet;
        if (options.LabelColumn != null) return DataFormat.LabelListCsv;
        if (options.LabelColumns != null) return DataFormat.WideCsv;
        // The header and the first row decide; the reader parses the whole file afterwards.
        DelimitedTable table = DelimitedFile.Read(path, options.ToLayout(), DelimitedFile.HeadRows);
        if (!table.HasHeader && options.Columns == null && table.Rows.Count > 0 && DelimitedFile.LooksLikeGoEmotions(table.Rows[0]))
            return DataFormat.GoemotionsTsv;
        return LabelListCsvReader.FindLabelColumn(table.Header) >= 0 ? DataFormat.LabelListCsv : DataFormat.WideCsv;
    }

    private static MultiLabelDataset Read(string path, DataFormat format, DataOptions options, string baseDirectory, IReadOnlyList<string>? labelNames)
    {
        string? labelsFile = options.LabelsFile is { } file ? Resolve(baseDirectory, file) : null;
        switch (format)
        {
            case DataFormat.GoemotionsTsv:
            {
                labelsFile ??= Path.Combine(Path.GetDirectoryName(path)!, "labels.txt");
                IReadOnlyList<string> names;
                if (labelNames == null)
                {
                    if (!File.Exists(labelsFile))
                        throw new SentioException($"{labelsFile}: file not found; a GoEmotions TSV needs its label names, one per line (set labels_file)");
                    names = GoEmotionsTsvReader.ReadLabelNames(labelsFile);
                }
                else
                {
                    if (File.Exists(labelsFile)) CheckSameLabels(GoEmotionsTsvReader.ReadLabelNames(labelsFile), labelNames, Path.GetFileName(labelsFile));
                    names = labelNames;
                }
                return GoEmotionsTsvReader.Read(path, names);
            }
            case DataFormat.WideCsv:
                return WideCsvReader.Read(path, options.TextColumn, options.IdColumn, options.LabelColumns ?? labelNames, options.ToLayout());
            default:
            {
                IReadOnlyList<string>? names = labelsFile != null ? GoEmotionsTsvReader.ReadLabelNames(labelsFile) : null;
                if (names != null && labelNames != null) CheckSameLabels(names, labelNames, Path.GetFileName(labelsFile!));
                return format switch
                {
                    DataFormat.Jsonl => RecordFileReader.ReadJsonLines(path, options, names ?? labelNames),
                    DataFormat.Parquet => RecordFileReader.ReadParquet(path, options, names ?? labelNames),
                    _ => LabelListCsvReader.Read(path, options.TextColumn, options.IdColumn, options.LabelColumn, names ?? labelNames, options.ToLayout()),
                };
            }
        }
    }

    /// <summary>The labels validation and test must have: train's, except for a label-list CSV without a labels
    /// file, whose label set is the union over all splits (see <see cref="OnUnionOfLabels"/>).</summary>
    private static IReadOnlyList<string>? ExpectedLabels(DataFormat format, DataOptions options, MultiLabelDataset train) =>
        format == DataFormat.LabelListCsv && options.LabelsFile == null ? null : train.LabelNames;

    private static void CheckSameLabels(IReadOnlyList<string> fileLabels, IReadOnlyList<string> expected, string fileName)
    {
        if (!fileLabels.SequenceEqual(expected, StringComparer.Ordinal))
            throw new SentioException($"{fileName}: labels ({string.Join(", ", fileLabels)}) differ from the expected labels ({string.Join(", ", expected)})");
    }

    private static (MultiLabelDataset, MultiLabelDataset?, MultiLabelDataset?) OnUnionOfLabels(
        MultiLabelDataset train, MultiLabelDataset? validation, MultiLabelDataset? test)
    {
        string[] union = new[] { train, validation, test }.OfType<MultiLabelDataset>()
            .SelectMany(d => d.LabelNames).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return (Remap(train, union), validation is null ? null : Remap(validation, union), test is null ? null : Remap(test, union));
    }

    private static MultiLabelDataset Remap(MultiLabelDataset dataset, string[] labelNames)
    {
        int[] newIndex = dataset.LabelNames.Select(name => Array.IndexOf(labelNames, name)).ToArray();
        var examples = dataset.Examples
            .Select(e => e with { Labels = e.Labels.Select(l => newIndex[l]).Order().ToArray() })
            .ToArray();
        return new MultiLabelDataset(labelNames, examples);
    }

    private static MultiLabelDataset DropUnlabeled(MultiLabelDataset dataset, out int dropped)
    {
        var kept = dataset.Examples.Where(e => e.Labels.Length > 0).ToArray();
        dropped = dataset.Count - kept.Length;
        return new MultiLabelDataset(dataset.LabelNames, kept);
    }

    private static MultiLabelDataset Subset(MultiLabelDataset dataset, int[] subsets, int subset) =>
        dataset.Subset(Enumerable.Range(0, subsets.Length).Where(i => subsets[i] == subset));

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Resolve(string baseDirectory, string path) => Path.GetFullPath(Path.Combine(baseDirectory, path));
}
