using Sentio.Configuration;
using Sentio.Data;

namespace Sentio.Tests.Data;

public class DatasetLoaderTests
{
    private static DatasetStore SharedStore => new(TestPaths.SharedData, TestPaths.NewTempDirectory());

    [Fact]
    public void GoEmotionsOriginalLoadsItsThreeFiles()
    {
        var splits = DatasetLoader.Load(new DataOptions { Dataset = "goemotions/original" }, "/nowhere", seed: 1, SharedStore);
        // data README: 43,410 / 5,426 / 5,427 rows, 28 labels.
        Assert.Equal((43_410, 5_426, 5_427), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        Assert.Equal(28, splits.LabelNames.Count);
        string folder = Path.Combine(TestPaths.SharedData, "goemotions", "original");
        Assert.Equal(
        [
            new SplitInfo("train", Path.Combine(folder, "train.tsv"), 43_410, 0),
            new SplitInfo("validation", Path.Combine(folder, "dev.tsv"), 5_426, 0),
            new SplitInfo("test", Path.Combine(folder, "test.tsv"), 5_427, 0),
        ], splits.Report.Splits);
    }

    [Fact]
    public void SemEvalTestsOnDevAndCarvesValidationFromTrain()
    {
        var splits = DatasetLoader.Load(new DataOptions { Dataset = "semeval2025-track-a" }, "/nowhere", seed: 3, SharedStore);
        // 2,768 train rows, 116 dev rows (data README); validation ≈ 10% of train.
        Assert.Equal(116, splits.Test.Count);
        Assert.Equal(2_768, splits.Train.Count + splits.Validation.Count);
        Assert.InRange(splits.Validation.Count, 260, 294);
        Assert.Equal("stratified 10% of train.csv (seed 3)", splits.Report.Splits[1].Origin);
        Assert.Empty(splits.Train.Examples.Select(e => e.Id).Intersect(splits.Validation.Examples.Select(e => e.Id)));
        Assert.Equal(splits.Train.LabelNames, splits.Test.LabelNames);
    }

    [Fact]
    public void RelativeTrainFileIsSplitAndUnlabeledRowsAreDroppedAndReported()
    {
        // 30 rows; rows 3, 6, ..., 30 (10 of them) have no label; the rest alternate joy / anger.
        string folder = TestPaths.NewTempDirectory();
        var lines = Enumerable.Range(1, 30).Select(i => i % 3 == 0 ? $"{i},text {i},0,0" : $"{i},text {i},{i % 2},{1 - i % 2}");
        File.WriteAllLines(Path.Combine(folder, "data.csv"), ["id,text,joy,anger", .. lines]);

        var options = new DataOptions { Train = "data.csv", ValidationFraction = 0.2, TestFraction = 0.2, DropUnlabeled = true };
        var splits = DatasetLoader.Load(options, folder, seed: 0, SharedStore);

        Assert.Equal(20, splits.Train.Count + splits.Validation.Count + splits.Test.Count);
        Assert.All(splits.Named, named => Assert.All(named.Dataset.Examples, e => Assert.NotEmpty(e.Labels)));
        Assert.Equal(10, splits.Report.Splits[0].DroppedUnlabeled);
        Assert.Equal("stratified 20% of data.csv (seed 0)", splits.Report.Splits[2].Origin);
        Assert.Contains("(10 unlabeled rows dropped)", splits.Report.ToString());
        // 20 × 0.2 = 4 desired in each carved split; the labels split 10/10, so 2 joy + 2 anger each is achievable.
        Assert.Equal((12, 4, 4), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
    }

    [Fact]
    public void AnEmptySplitIsAnError()
    {
        // Every row is unlabeled, so dropping them leaves train empty.
        string folder = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(folder, "none.csv"), "text,joy\na,0\nb,0\n");
        var options = new DataOptions { Train = "none.csv", Validation = "none.csv", Test = "none.csv", DropUnlabeled = true };
        var error = Assert.Throws<SentioException>(() => DatasetLoader.Load(options, folder, 0, SharedStore));
        Assert.Equal($"data: the train split has no examples ({Path.Combine(folder, "none.csv")}) after dropping unlabeled rows", error.Message);
    }

    [Fact]
    public void LabelListSplitsShareTheUnionOfTheirLabels()
    {
        string folder = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(folder, "train.csv"), "text,labels\na,joy\nb,joy\n");
        File.WriteAllText(Path.Combine(folder, "dev.csv"), "text,labels\nc,anger\n");
        File.WriteAllText(Path.Combine(folder, "test.csv"), "text,labels\nd,\"[\"\"fear\"\",\"\"joy\"\"]\"\n");
        var splits = DatasetLoader.Load(new DataOptions { Train = "train.csv", Validation = "dev.csv", Test = "test.csv" }, folder, 0, SharedStore);
        Assert.Equal(["anger", "fear", "joy"], splits.LabelNames);
        Assert.Equal([2], splits.Train.Examples[0].Labels);
        Assert.Equal([0], splits.Validation.Examples[0].Labels);
        Assert.Equal([1, 2], splits.Test.Examples[0].Labels);
    }

    [Fact]
    public void ValidationErrorsNameTheKey()
    {
        Assert.Equal([new ConfigError("dataset", $"unknown dataset 'goemotion'; known: goemotions/original, goemotions/ekman, goemotions/group, semeval2025-track-a")],
            new DataOptions { Dataset = "goemotion" }.Validate());
        Assert.Equal([new ConfigError("validation_fraction", "expected a number in (0, 0.5), got 0.5")],
            new DataOptions { Train = "a.csv", ValidationFraction = 0.5 }.Validate());
        Assert.Equal(["dataset"], new DataOptions { Dataset = "goemotions/ekman", Test = "mine.tsv" }.Validate().Select(e => e.Key));
        Assert.Empty(new DataOptions { Train = "a.csv" }.Validate());
        var error = Assert.Throws<SentioException>(() => DatasetLoader.Load(new DataOptions(), "/", 0, SharedStore));
        Assert.StartsWith("data.dataset: set dataset (one of: goemotions/original", error.Message);
    }

    [Fact]
    public void ReadFileChecksTheLabelsAgainstTheModels()
    {
        string dev = Path.Combine(TestPaths.SharedData, "goemotions", "ekman", "dev.tsv");
        string[] ekman = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"];
        Assert.Equal(5_426, DatasetLoader.ReadFile(dev, new DataOptions(), ekman).Count);
        var error = Assert.Throws<SentioException>(() => DatasetLoader.ReadFile(dev, new DataOptions(), ["positive", "negative"]));
        Assert.StartsWith("labels.txt: labels (anger, disgust, fear, joy, neutral, sadness, surprise) differ from the expected labels (positive, negative)", error.Message);
    }

    [Fact]
    public void FormatIsInferredFromExtensionAndHeader()
    {
        string fixtures = Path.Combine(TestPaths.Fixtures, "data");
        Assert.Equal(DataFormat.GoemotionsTsv, DatasetLoader.InferFormat(Path.Combine(fixtures, "analysis.tsv"), new DataOptions()));
        Assert.Equal(DataFormat.WideCsv, DatasetLoader.InferFormat(Path.Combine(fixtures, "wide.csv"), new DataOptions()));
        Assert.Equal(DataFormat.LabelListCsv, DatasetLoader.InferFormat(Path.Combine(fixtures, "label_list.csv"), new DataOptions()));
        Assert.Equal(DataFormat.Jsonl, DatasetLoader.InferFormat("data.jsonl", new DataOptions()));
        Assert.Equal(DataFormat.Parquet, DatasetLoader.InferFormat("train-00000-of-00001.parquet", new DataOptions()));
    }

    [Fact]
    public void UnlabeledTextsComeFromTxtCsvAndGoEmotionsTsv()
    {
        string folder = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(folder, "in.txt"), "first text\nsecond, with comma\n");
        File.WriteAllText(Path.Combine(folder, "in.csv"), "doc,body\nd1,\"quoted, text\"\nd2,plain\n");
        Assert.Equal([new UnlabeledText(null, "first text", "in.txt", 1), new UnlabeledText(null, "second, with comma", "in.txt", 2)],
            DatasetLoader.ReadUnlabeled(Path.Combine(folder, "in.txt")));
        Assert.Equal([new UnlabeledText("d1", "quoted, text", "in.csv", 2), new UnlabeledText("d2", "plain", "in.csv", 3)],
            DatasetLoader.ReadUnlabeled(Path.Combine(folder, "in.csv"), textColumn: "body", idColumn: "doc"));

        var tsv = DatasetLoader.ReadUnlabeled(Path.Combine(TestPaths.Fixtures, "data", "analysis.tsv"));
        Assert.Equal(5, tsv.Count);
        Assert.Equal(new UnlabeledText("id5", "wow  \"quoted\"  text", "analysis.tsv", 5), tsv[4]);

        var error = Assert.Throws<SentioException>(() => DatasetLoader.ReadUnlabeled(Path.Combine(folder, "in.csv")));
        Assert.StartsWith("in.csv:1: no text column found", error.Message);
        File.WriteAllText(Path.Combine(folder, "header_only.csv"), "id,text\n");
        error = Assert.Throws<SentioException>(() => DatasetLoader.ReadUnlabeled(Path.Combine(folder, "header_only.csv")));
        Assert.Equal("header_only.csv: no texts to read", error.Message);
    }
}
