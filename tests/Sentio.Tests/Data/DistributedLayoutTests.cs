using System.Text;
using System.Text.Json;
using Parquet.Serialization;
using Sentio.Configuration;
using Sentio.Data;
using Sentio.Runs;

namespace Sentio.Tests.Data;

/// <summary>Public emotion datasets in the form they are distributed, rebuilt from GoEmotions' dev split, each loaded
/// by its config alone; every example must equal the GoEmotions row it was written from.</summary>
public class DistributedLayoutTests
{
    private static readonly string Original = Path.Combine(TestPaths.SharedData, "goemotions", "original");

    /// <summary>The first <paramref name="count"/> rows of GoEmotions dev, read by the GoEmotions reader.</summary>
    private static MultiLabelDataset Source(int count = 300, string taxonomy = "original")
    {
        string folder = Path.Combine(TestPaths.SharedData, "goemotions", taxonomy);
        var all = GoEmotionsTsvReader.Read(Path.Combine(folder, "dev.tsv"), GoEmotionsTsvReader.ReadLabelNames(Path.Combine(folder, "labels.txt")));
        return all.Subset(Enumerable.Range(0, count));
    }

    /// <summary>Loads the config's splits (validation and test carved from train), then reads the train file whole.</summary>
    private static MultiLabelDataset LoadTrain(string folder, string dataYaml)
    {
        var config = TrainConfig.Parse($"data:\n{dataYaml}", "test.yaml");
        DatasetLoader.Load(config.Data, folder, seed: 1);
        return DatasetLoader.ReadFile(config.Data.Train!, config.Data, baseDirectory: folder);
    }

    private static void AssertSameExamples(MultiLabelDataset expected, MultiLabelDataset actual, bool ids = true)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected.Examples[i].Text, actual.Examples[i].Text);
            Assert.Equal(expected.Examples[i].Labels.Select(l => expected.LabelNames[l]).Order(), actual.Examples[i].Labels.Select(l => actual.LabelNames[l]).Order());
            if (ids) Assert.Equal(expected.Examples[i].Id, actual.Examples[i].Id);
        }
    }

    [Fact]
    public void SemEval2018ECTabSeparatedTxtWithHeaderLoadsAsWide()
    {
        // SemEval-2018 Task 1 E-c: ID<TAB>Tweet<TAB>anger<TAB>... (11 emotions), 0/1, a .txt file; texts keep bare quotes.
        var source = Source();
        string[] emotions = source.LabelNames.Take(11).ToArray();
        var text = new StringBuilder("ID\tTweet\t" + string.Join('\t', emotions) + "\n");
        foreach (var e in source.Examples)
            text.Append(e.Id).Append('\t').Append(e.Text).Append('\t')
                .AppendJoin('\t', Enumerable.Range(0, 11).Select(l => e.Labels.Contains(l) ? "1" : "0")).Append('\n');
        string folder = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(folder, "2018-E-c-En-train.txt"), text.ToString());

        var dataset = LoadTrain(folder, "  train: 2018-E-c-En-train.txt\n");

        Assert.Equal(emotions, dataset.LabelNames);
        var expected = new MultiLabelDataset(emotions, source.Examples.Select(e => e with { Labels = e.Labels.Where(l => l < 11).ToArray() }).ToArray());
        AssertSameExamples(expected, dataset);
        Assert.Contains(dataset.Examples, e => e.Text.Contains('"'));
    }

    [Fact]
    public void CarerHeaderlessSemicolonLinesLoadAsOneLabelPerText()
    {
        // CARER / dair-ai emotion: "text;label" lines, no header, one label name per text; its texts have no quotes.
        var ekman = Source(600, "ekman");
        var single = ekman.Subset(Enumerable.Range(0, ekman.Count).Where(i => ekman.Examples[i].Labels.Length == 1 && ekman.Examples[i].Text.IndexOfAny([';', '"']) < 0));
        string folder = TestPaths.NewTempDirectory();
        File.WriteAllLines(Path.Combine(folder, "train.txt"), single.Examples.Select(e => $"{e.Text};{ekman.LabelNames[e.Labels[0]]}"));

        var dataset = LoadTrain(folder, "  train: train.txt\n");

        Assert.Equal(single.Examples.Select(e => ekman.LabelNames[e.Labels[0]]).Distinct().Order(StringComparer.Ordinal), dataset.LabelNames);
        AssertSameExamples(single, dataset, ids: false);
        Assert.All(dataset.Examples, e => Assert.Single(e.Labels));

        var named = LoadTrain(folder, "  train: train.txt\n  delimiter: \";\"\n  header: false\n  columns: [sentence, emotion]\n");
        AssertSameExamples(single, named, ids: false);
    }

    [Fact]
    public void PandasCsvWithPythonListLiteralsLoadsAsLabelList()
    {
        // pandas df.to_csv(index=False) of a list column: "['joy', 'love']", quoted because of the comma.
        var source = Source();
        var text = new StringBuilder("id,text,labels\n");
        foreach (var e in source.Examples)
        {
            string list = "[" + string.Join(", ", e.Labels.Select(l => $"'{source.LabelNames[l]}'")) + "]";
            text.Append(e.Id).Append(',').Append(Quote(e.Text)).Append(',').Append(Quote(list)).Append('\n');
        }
        string folder = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(folder, "GoEmotions.csv"), text.ToString());
        File.Copy(Path.Combine(Original, "labels.txt"), Path.Combine(folder, "labels.txt"));

        AssertSameExamples(source, LoadTrain(folder, "  train: GoEmotions.csv\n  labels_file: labels.txt\n"));
        var union = LoadTrain(folder, "  train: GoEmotions.csv\n");
        Assert.Equal(source.Examples.SelectMany(e => e.Labels).Distinct().Select(l => source.LabelNames[l]).Order(StringComparer.Ordinal), union.LabelNames);
        AssertSameExamples(source, union);
    }

    [Fact]
    public void JsonLinesWithClassIdsLoadWithLabelsFile()
    {
        // HF datasets' to_json: {"text": ..., "labels": [3, 27], "id": ...} per line.
        var source = Source();
        string folder = TestPaths.NewTempDirectory();
        File.WriteAllLines(Path.Combine(folder, "train.jsonl"),
            source.Examples.Select(e => JsonSerializer.Serialize(new { text = e.Text, labels = e.Labels, id = e.Id })));
        File.Copy(Path.Combine(Original, "labels.txt"), Path.Combine(folder, "labels.txt"));

        var dataset = LoadTrain(folder, "  train: train.jsonl\n  labels_file: labels.txt\n");
        Assert.Equal(source.LabelNames, dataset.LabelNames);
        AssertSameExamples(source, dataset);

        var error = Assert.Throws<SentioException>(() => LoadTrain(folder, "  train: train.jsonl\n"));
        Assert.StartsWith("train.jsonl:1: field 'labels' holds class ids and the file has no class names", error.Message);
    }

    [Fact]
    public async Task ParquetWithHfClassLabelMetadataLoadsItsClassNames()
    {
        // An HF datasets Parquet shard: labels is Sequence(ClassLabel(names=...)), recorded under the "huggingface" key.
        var source = Source();
        string folder = TestPaths.NewTempDirectory();
        string path = Path.Combine(folder, "train-00000-of-00001.parquet");
        var features = new Dictionary<string, object>
        {
            ["text"] = new { dtype = "string", _type = "Value" },
            ["labels"] = new { feature = new { names = source.LabelNames, _type = "ClassLabel" }, _type = "Sequence" },
            ["id"] = new { dtype = "string", _type = "Value" },
        };
        string metadata = JsonSerializer.Serialize(new { info = new { features } });
        var rows = source.Examples.Select(e => new HfRow { Text = e.Text, Labels = e.Labels, Id = e.Id }).ToList();
        await ParquetSerializer.SerializeAsync(rows, path, customMetadata: new Dictionary<string, string> { ["huggingface"] = metadata });

        var dataset = LoadTrain(folder, "  train: train-00000-of-00001.parquet\n");
        Assert.Equal(source.LabelNames, dataset.LabelNames);
        AssertSameExamples(source, dataset);
        Assert.Equal(source.Examples.Select(e => e.Id), DatasetLoader.ReadUnlabeled(path).Select(t => t.Id));
    }

    [Fact]
    public void SingleLabelClassesNameTheRowWithTwoLabels()
    {
        string folder = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(folder, "train.txt"), "i feel happy;joy\ni am furious;anger\ni feel fine;joy\n");
        var dataset = DatasetLoader.ReadFile(Path.Combine(folder, "train.txt"), new DataOptions());
        Assert.Equal([1, 0, 1], SingleLabelClasses.Of(dataset));

        File.WriteAllText(Path.Combine(folder, "two.csv"), "text,labels\nhappy,joy\n\"happy and angry\",\"joy,anger\"\n");
        var error = Assert.Throws<SentioException>(() => SingleLabelClasses.Of(LabelListCsvReader.Read(Path.Combine(folder, "two.csv"))));
        Assert.Equal("two.csv:3: 2 labels (anger, joy); a single-label dataset has exactly one class per text", error.Message);
    }

    [Fact]
    public void SemEvalCsvStillLoadsAndDelimiterKeyIsValidated()
    {
        var semeval = LoadTrain(Path.Combine(TestPaths.SharedData, "semeval2025-track-a"), "  train: train.csv\n");
        Assert.Equal(["anger", "fear", "joy", "sadness", "surprise"], semeval.LabelNames);
        Assert.Equal(2_768, semeval.Count);

        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse("data:\n  train: x.csv\n  delimiter: \"::\"\n", "bad.yaml"));
        Assert.Contains("data.delimiter: expected one of", error.Message);
    }

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;

    public sealed class HfRow
    {
        public string Text { get; set; } = "";
        public int[] Labels { get; set; } = [];
        public string? Id { get; set; }
    }
}
