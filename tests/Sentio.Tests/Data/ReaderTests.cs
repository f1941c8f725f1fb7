using System.Diagnostics;
using System.Text;
using Sentio.Data;

namespace Sentio.Tests.Data;

public class ReaderTests
{
    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, "data", name);

    private static string WriteTemp(string name, string content) => WriteTemp(name, Encoding.UTF8.GetBytes(content));

    private static string WriteTemp(string name, byte[] content)
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void GoEmotionsTsvKeepsQuotesAndReadsEmptyLabelField()
    {
        // analysis.tsv, written by hand; labels.txt = joy, anger, fear.
        var labels = GoEmotionsTsvReader.ReadLabelNames(Fixture("labels.txt"));
        Assert.Equal(["joy", "anger", "fear"], labels);
        var dataset = GoEmotionsTsvReader.Read(Fixture("analysis.tsv"), labels);
        Assert.Equal(5, dataset.Count);
        var second = dataset.Examples[1];
        Assert.Equal(("id2", "so angry and afraid", "analysis.tsv", 2), (second.Id, second.Text, second.Source, second.Line));
        Assert.Equal([1, 2], dataset.Examples[1].Labels);
        Assert.Empty(dataset.Examples[3].Labels);
        Assert.Equal("wow  \"quoted\"  text", dataset.Examples[4].Text);
        Assert.Equal([0, 1, 2], dataset.Examples[4].Labels);
        Assert.Equal(5, dataset.Examples[4].Line);
    }

    [Fact]
    public void GoEmotionsOriginalReadsFastWithTheKnownCounts()
    {
        string folder = Path.Combine(TestPaths.SharedData, "goemotions", "original");
        var timer = Stopwatch.StartNew();
        var labels = GoEmotionsTsvReader.ReadLabelNames(Path.Combine(folder, "labels.txt"));
        var train = GoEmotionsTsvReader.Read(Path.Combine(folder, "train.tsv"), labels);
        var dev = GoEmotionsTsvReader.Read(Path.Combine(folder, "dev.tsv"), labels);
        var test = GoEmotionsTsvReader.Read(Path.Combine(folder, "test.tsv"), labels);
        timer.Stop();

        // Checked with: awk -F'\t' 'END{print NR}' train.tsv → 43410 (dev 5426, test 5427), and
        // awk -F'\t' '{n=split($2,a,","); for(i=1;i<=n;i++) if(a[i]==16) c++} END{print c}' train.tsv → 77 (grief).
        Assert.Equal(28, labels.Count);
        Assert.Equal((43_410, 5_426, 5_427), (train.Count, dev.Count, test.Count));
        Assert.Equal(77, train.Examples.Count(e => e.Labels.Contains(labels.ToList().IndexOf("grief"))));
        Assert.Equal("eebbqej", train.Examples[0].Id);
        Assert.Equal([27], train.Examples[0].Labels);
        Assert.True(timer.Elapsed < TimeSpan.FromSeconds(2), $"reading took {timer.Elapsed}");
    }

    [Fact]
    public void WideCsvHandlesBomQuotesCrLfAndNewlinesInsideQuotes()
    {
        // wide.csv: BOM, CRLF, header id,Text,joy,anger,source; 'source' holds web/x so it is no label column.
        var dataset = WideCsvReader.Read(Fixture("wide.csv"));
        Assert.Equal(["joy", "anger"], dataset.LabelNames);
        Assert.Equal(4, dataset.Count);
        Assert.Equal(new TextExample("a1", "Hello, \"world\"", dataset.Examples[0].Labels, "wide.csv", 2), dataset.Examples[0]);
        Assert.Equal([0], dataset.Examples[0].Labels);
        Assert.Equal("line one\r\nline two", dataset.Examples[1].Text);
        Assert.Equal(3, dataset.Examples[1].Line);
        Assert.Equal(5, dataset.Examples[2].Line); // a2 spans physical lines 3 and 4
        Assert.Empty(dataset.Examples[2].Labels);
        Assert.Equal([0, 1], dataset.Examples[3].Labels);
        Assert.Equal(6, dataset.Examples[3].Line);
    }

    [Fact]
    public void WideCsvTakesListedLabelColumnsInTheirOrder()
    {
        var dataset = WideCsvReader.Read(Fixture("wide.csv"), textColumn: "text", idColumn: "id", labelColumns: ["anger", "joy"]);
        Assert.Equal(["anger", "joy"], dataset.LabelNames);
        Assert.Equal([1], dataset.Examples[0].Labels); // a1 has joy=1 → index 1 in (anger, joy)
    }

    [Fact]
    public void SemEvalTrainHasFiveEmotionColumns()
    {
        var dataset = WideCsvReader.Read(Path.Combine(TestPaths.SharedData, "semeval2025-track-a", "train.csv"));
        // data README: 2,768 rows; columns id,text,anger,fear,joy,sadness,surprise. Row 1: "Colorado, middle of nowhere.",0,1,0,0,1.
        Assert.Equal(["anger", "fear", "joy", "sadness", "surprise"], dataset.LabelNames);
        Assert.Equal(2_768, dataset.Count);
        Assert.Equal(new TextExample("eng_train_track_a_00001", "Colorado, middle of nowhere.", dataset.Examples[0].Labels, "train.csv", 2), dataset.Examples[0]);
        Assert.Equal([1, 4], dataset.Examples[0].Labels);
    }

    [Fact]
    public void LabelListCsvReadsCommaAndJsonListsOnTheSortedUnion()
    {
        var dataset = LabelListCsvReader.Read(Fixture("label_list.csv"));
        // union of joy, anger, fear sorted ordinally: anger=0, fear=1, joy=2.
        Assert.Equal(["anger", "fear", "joy"], dataset.LabelNames);
        Assert.Equal([0, 2], dataset.Examples[0].Labels);
        Assert.Equal([1], dataset.Examples[1].Labels);
        Assert.Empty(dataset.Examples[2].Labels);
        Assert.Equal([1, 2], dataset.Examples[3].Labels);
        Assert.Equal(("x4", 5), (dataset.Examples[3].Id, dataset.Examples[3].Line));
    }

    [Fact]
    public void LabelListCsvWithGivenLabelsRejectsAnUnknownOne()
    {
        var error = Assert.Throws<SentioException>(() => LabelListCsvReader.Read(Fixture("label_list.csv"), labelNames: ["joy", "anger"]));
        Assert.StartsWith("label_list.csv:3: label 'fear' is not one of the labels", error.Message);
    }

    [Theory]
    [InlineData("wide_csv_labels", "id,text,joy,fear\n1,fine,1,0\n2,bad,0,2\n", "bad.csv:3: label value '2' in column 'fear' is not 0 or 1")]
    [InlineData("wide_csv", "id,text,joy,JOY\n1,a,1,0\n", "bad.csv:1: duplicate column name 'JOY' (columns 3 and 4)")]
    [InlineData("wide_csv", "id,text,joy\n1,a,1\n2,b\n", "bad.csv:3: expected 3 fields (id,text,joy), got 2")]
    [InlineData("wide_csv", "id,text,joy\n1,a,1\n2,\"never closed,1\n3,c,0\n", "bad.csv:3: unterminated quoted field")]
    [InlineData("wide_csv", "id,text,joy\n1,a,1\n2,\"  \",0\n", "bad.csv:3: empty text in column 'text'")]
    [InlineData("wide_csv", "id,body,joy\n1,a,1\n", "bad.csv:1: no text column found")]
    [InlineData("wide_csv", "id,text,joy\n1,a,\n", "bad.csv:1: no label columns found (a label column holds only 0 and 1): 'joy' has '' at line 2")]
    [InlineData("wide_csv_labels", "id,text,joy\n1,a,1\n", "bad.csv:1: no column 'fear' (label_columns)")]
    [InlineData("wide_csv_twice", "id,text,joy\n1,a,1\n", "bad.csv:1: label_columns: a column is listed twice (joy, JOY)")]
    [InlineData("wide_csv_text", "id,text,joy\n1,a,1\n", "bad.csv:1: no column 'body' (text_column)")]
    [InlineData("goemotions", "fine\t0\tid\nalso fine\t3\tid2\n", "bad.tsv:2: label index '3' is not a number in 0..2")]
    [InlineData("goemotions", "fine\t0\tid\nno id\t1\n", "bad.tsv:2: expected 3 tab-separated fields (text, labels, id), got 2")]
    [InlineData("goemotions", "fine\t0,0\tid\n", "bad.tsv:1: label index 0 is repeated")]
    [InlineData("goemotions", "\t0\tid\n", "bad.tsv:1: empty text")]
    [InlineData("label_list", "text,labels\na,\"[joy\"\n", "bad.csv:2: labels '[joy' are not a list (write")]
    [InlineData("wide_csv", "id,text,joy\n1,a,1\n2,b,2\n", "bad.csv:3: label value '2' in column 'joy' is not 0 or 1")]
    [InlineData("wide_csv", "id,text,joy\n1,\"a\"b,1\n", "bad.csv:2: unexpected 'b' after a closing quote in field 2")]
    [InlineData("label_list", "text,labels\na,\"[3, 27]\"\n", "bad.csv:2: column 'labels' holds class ids ('[3, 27]'); name the classes with labels_file")]
    [InlineData("label_list", "text,labels\na,\"['joy', 'joy']\"\n", "bad.csv:2: a label is repeated in")]
    public void BadInputNamesFileAndLine(string reader, string content, string expectedStart)
    {
        string path = WriteTemp(reader == "goemotions" ? "bad.tsv" : "bad.csv", content);
        var error = Assert.Throws<SentioException>(() => Read(reader, path));
        Assert.StartsWith(expectedStart, error.Message);
    }

    private static MultiLabelDataset Read(string reader, string path) => reader switch
    {
        "goemotions" => GoEmotionsTsvReader.Read(path, ["joy", "anger", "fear"]),
        "wide_csv_labels" => WideCsvReader.Read(path, labelColumns: ["joy", "fear"]),
        "wide_csv_text" => WideCsvReader.Read(path, textColumn: "body"),
        "wide_csv_twice" => WideCsvReader.Read(path, labelColumns: ["joy", "JOY"]),
        "label_list" => LabelListCsvReader.Read(path),
        _ => WideCsvReader.Read(path),
    };

    [Fact]
    public void InferredLabelColumnWithOneBadValueIsAnError()
    {
        // 'joy' is 0/1 in 10 of 11 rows (≥ 90%), so it is a label column and the '2' on line 12 an error.
        string rows = string.Concat(Enumerable.Range(1, 10).Select(i => $"{i},text {i},{i % 2}\n"));
        string path = WriteTemp("almost.csv", "id,text,joy\n" + rows + "11,last,2\n");
        var error = Assert.Throws<SentioException>(() => WideCsvReader.Read(path));
        Assert.Equal("almost.csv:12: label value '2' in column 'joy' is not 0 or 1", error.Message);
    }

    [Fact]
    public void InvalidUtf8IsReportedWithItsLine()
    {
        // Line 3 holds 0xFF, which never occurs in UTF-8.
        byte[] content = [.. "id,text,joy\n1,ok,1\n2,b"u8, 0xFF, .. "d,0\n"u8];
        string path = WriteTemp("latin.csv", content);
        var error = Assert.Throws<SentioException>(() => WideCsvReader.Read(path));
        Assert.Equal("latin.csv:3: invalid UTF-8 (byte 0xFF); save the file as UTF-8", error.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "absent.tsv");
        var error = Assert.Throws<SentioException>(() => GoEmotionsTsvReader.Read(path, ["joy"]));
        Assert.Equal($"{path}: file not found", error.Message);
    }

    [Theory]
    [InlineData("id|text|joy|anger\n1|\"a | b\"|1|0\n2|c|0|1\n")]
    [InlineData("id;text;joy;anger\n1;\"a; b\";1;0\n2;c;0;1\n")]
    [InlineData("id\ttext\tjoy\tanger\n1\ta \" b\t1\t0\n2\tc\t0\t1\n")]
    public void DelimiterIsSniffedWhateverTheExtension(string content)
    {
        var dataset = WideCsvReader.Read(WriteTemp("data.dat", content));
        Assert.Equal(["joy", "anger"], dataset.LabelNames);
        Assert.Equal(["1", "2"], dataset.Examples.Select(e => e.Id));
        Assert.Equal([[0], [1]], dataset.Examples.Select(e => e.Labels));
        Assert.Contains(dataset.Examples[0].Text, new[] { "a | b", "a; b", "a \" b" });
    }

    [Fact]
    public void HeaderAndColumnsKeysOverrideSniffing()
    {
        // No column name is known and no value recurs, so the first row is sniffed as a header; header: false and
        // columns make it data.
        string path = WriteTemp("data.txt", "phrase;feeling\nhappy;joy\nsad;sadness\n");
        Assert.Equal(2, LabelListCsvReader.Read(path, textColumn: "phrase", labelColumn: "feeling").Count);
        var named = LabelListCsvReader.Read(path, textColumn: "body", labelColumn: "emotion",
            layout: new DelimitedLayout(';', Header: false, Columns: ["body", "emotion"]));
        Assert.Equal(["feeling", "joy", "sadness"], named.LabelNames);
        Assert.Equal(["phrase", "happy", "sad"], named.Examples.Select(e => e.Text));
    }
}
