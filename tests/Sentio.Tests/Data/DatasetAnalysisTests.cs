using System.Text.Json;
using Sentio.Data;

namespace Sentio.Tests.Data;

public class DatasetAnalysisTests
{
    private static DatasetAnalysis HandMade()
    {
        string folder = Path.Combine(TestPaths.Fixtures, "data");
        var labels = GoEmotionsTsvReader.ReadLabelNames(Path.Combine(folder, "labels.txt"));
        return DatasetAnalysis.Compute(
        [
            ("train", GoEmotionsTsvReader.Read(Path.Combine(folder, "analysis.tsv"), labels)),
            ("test", GoEmotionsTsvReader.Read(Path.Combine(folder, "analysis_test.tsv"), labels)),
        ]);
    }

    [Fact]
    public void HandMadeCountsMatchAHandCalculation()
    {
        // analysis.tsv (labels joy=0, anger=1, fear=2):
        //   1 "I am happy"           [0]      10 chars 3 words
        //   2 "so angry and afraid"  [1,2]    19 chars 4 words
        //   3 "I am happy"           [0,2]    10 chars 3 words   (duplicate of line 1)
        //   4 "meh"                  []        3 chars 1 word
        //   5 "wow  \"quoted\"  text" [0,1,2] 19 chars 3 words
        // joy 3, anger 2, fear 3 → rates 0.6, 0.4, 0.6; labels per text: 0→1, 1→1, 2→2, 3→1.
        // pairs: joy+anger 1 (line 5), joy+fear 2 (3, 5), anger+fear 2 (2, 5).
        // chars sorted 3,10,10,19,19: mean 12.2, median 10, p95 at 0.95·4 = 3.8 → 19, max 19.
        // words sorted 1,3,3,3,4: mean 2.8, median 3, p95 at 3.8 → 3 + 0.8·(4 − 3) = 3.8, max 4.
        var analysis = HandMade();
        SplitAnalysis train = analysis.Splits[0];
        Assert.Equal(5, train.Count);
        Assert.Equal([3, 2, 3], train.LabelCounts);
        Assert.Equal([0.6, 0.4, 0.6], train.LabelRates);
        Assert.Equal([1, 1, 2, 1], train.LabelsPerText);
        Assert.Equal([3, 1, 2], train.CoOccurrence[0]);
        Assert.Equal([1, 2, 2], train.CoOccurrence[1]);
        Assert.Equal([2, 2, 3], train.CoOccurrence[2]);
        Assert.Equal(new LengthStats(12.2, 10, 19, 19), train.Characters);
        Assert.Equal(2.8, train.Words.Mean, 12);
        Assert.Equal(3.8, train.Words.P95, 12);
        Assert.Equal((3.0, 4), (train.Words.Median, train.Words.Max));
        Assert.Equal(1, train.Unlabeled);
        Assert.Equal(1, train.DuplicateRows);
        Assert.Equal(["train:analysis.tsv:1", "train:analysis.tsv:3"], train.DuplicateExamples.Single().Locations);

        // analysis_test.tsv: "meh" [1], "brand new" [2]; "meh" is also train line 4.
        SplitOverlap overlap = analysis.Overlaps.Single();
        Assert.Equal(("train", "test", 1), (overlap.First, overlap.Second, overlap.SharedTexts));
        Assert.Equal(["train:analysis.tsv:4", "test:analysis_test.tsv:1"], overlap.Examples.Single().Locations);
    }

    [Fact]
    public void TableAndJsonCarryTheNumbers()
    {
        var analysis = HandMade();
        string table = analysis.ToTable();
        string[] lines = table.Split('\n');
        Assert.Equal(["label", "train", "test"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["joy", "3", "60.0%", "0", "0.0%"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("joy + fear", table);
        Assert.Contains("texts in both train and test: 1", table);

        using var json = JsonDocument.Parse(analysis.ToJson());
        JsonElement train = json.RootElement.GetProperty("splits")[0];
        Assert.Equal(3, train.GetProperty("label_counts")[2].GetInt32());
        Assert.Equal(19, train.GetProperty("characters").GetProperty("max").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("overlaps")[0].GetProperty("shared_texts").GetInt32());
    }

    [Fact]
    public void GoEmotionsFactsMatchAnIndependentCount()
    {
        var splits = DatasetLoader.Load(new DataOptions { Dataset = "goemotions/original" }, "/nowhere", 0,
            new DatasetStore(TestPaths.SharedData, TestPaths.NewTempDirectory()));
        var analysis = DatasetAnalysis.Compute(splits);
        // Independently, with python3 on ../shared/data/goemotions/original/train.tsv (split on '\t', labels on ','):
        // admiration (0) 4,130, fear (14) 596, grief (16) 77, neutral (27) 14,219; labels per text 1: 36,308,
        // 2: 6,541, 3: 532, 4: 28, 5: 1; 43,410 − len(set(texts)) = 183 duplicate rows; 32 distinct texts are
        // in both train and test.
        SplitAnalysis train = analysis.Splits[0];
        Assert.Equal((4_130, 596, 77, 14_219), (train.LabelCounts[0], train.LabelCounts[14], train.LabelCounts[16], train.LabelCounts[27]));
        Assert.Equal([0, 36_308, 6_541, 532, 28, 1], train.LabelsPerText);
        Assert.Equal(183, train.DuplicateRows);
        Assert.Equal(32, analysis.Overlaps.Single(o => (o.First, o.Second) == ("train", "test")).SharedTexts);
    }
}
