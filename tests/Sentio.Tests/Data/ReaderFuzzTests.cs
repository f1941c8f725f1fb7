using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Parquet.Serialization;
using Sentio.Data;
using Xunit.Abstractions;

namespace Sentio.Tests.Data;

/// <summary>Every reader, fed mutated copies of a valid file (bytes flipped, quotes and delimiters inserted, rows cut,
/// huge fields, invalid UTF-8), either loads or fails with a one-line <see cref="SentioException"/> that starts with
/// the file's name (and its line where the file is text); no other exception, no hang.</summary>
public partial class ReaderFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 400;

    /// <summary>Fewer Parquet inputs: Parquet.Net loops on some damaged footers, and each such read spins a thread for
    /// the reader's time budget and beyond (see <see cref="RecordFileReader.ReadParquet"/>).</summary>
    private const int ParquetIterations = 100;

    private static readonly Dictionary<string, (string FileName, DataOptions Options)> Readers = new()
    {
        ["goemotions"] = ("data.tsv", new DataOptions { Format = DataFormat.GoemotionsTsv, LabelsFile = "labels.txt" }),
        ["wide"] = ("data.csv", new DataOptions()),
        ["label_list"] = ("data.csv", new DataOptions()),
        ["headerless_semicolon"] = ("data.txt", new DataOptions()),
        ["jsonl"] = ("data.jsonl", new DataOptions()),
        ["parquet"] = ("data.parquet", new DataOptions()),
    };

    private static byte[] Seed(string reader) => reader switch
    {
        "goemotions" => Utf8("I am happy\t0\tid1\nso \"angry\" and afraid\t1,2\tid2\nmeh\t\tid3\n"),
        "wide" => Utf8("id,text,joy,anger\n1,\"happy, really\",1,0\n2,\"so \"\"angry\"\"\",0,1\n3,meh,0,0\n"),
        "label_list" => Utf8("text,labels\nhappy,\"['joy']\"\nangry,\"[\"\"anger\"\", \"\"joy\"\"]\"\nmeh,\n"),
        "headerless_semicolon" => Utf8("i feel happy;joy\ni am angry;anger\ni feel fine;joy\n"),
        "jsonl" => Utf8("{\"text\": \"happy\", \"labels\": [\"joy\"]}\n{\"text\": \"angry\", \"labels\": [\"anger\", \"joy\"], \"id\": 7}\n"),
        _ => ParquetSeed(),
    };

    [Theory]
    [InlineData("goemotions")]
    [InlineData("wide")]
    [InlineData("label_list")]
    [InlineData("headerless_semicolon")]
    [InlineData("jsonl")]
    [InlineData("parquet")]
    public void MutatedFilesLoadOrFailWithOneLineNamingTheFile(string reader)
    {
        string root = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(root, "labels.txt"), "joy\nanger\nfear\n");
        var (fileName, options) = Readers[reader];
        byte[] seed = Seed(reader);
        DatasetLoader.ReadFile(WriteFresh(root, fileName, seed), options, baseDirectory: root);
        var pattern = reader == "parquet" ? ParquetError() : TextError();
        int inputs = 0, loaded = 0, timedOut = 0;
        int iterations = reader == "parquet" ? ParquetIterations : Iterations;
        Mutated(seed).Sample(bytes =>
        {
            string path = WriteFresh(root, fileName, bytes);
            Interlocked.Increment(ref inputs);
            string? error = ReadWithin(path, options, root, TimeSpan.FromSeconds(30));
            if (error == null) Interlocked.Increment(ref loaded);
            else Assert.True(pattern.IsMatch(error), $"{reader}: '{error}'");
            if (error?.Contains("did not finish reading", StringComparison.Ordinal) == true) Interlocked.Increment(ref timedOut);
        }, iter: iterations, threads: 2);
        output.WriteLine($"{reader}: {inputs} mutated inputs, {loaded} loaded, {inputs - loaded} failed with a one-line error ({timedOut} of them on the time budget)");
        Assert.Equal(iterations, inputs);
    }

    /// <summary>Up to four mutations of <paramref name="seed"/>.</summary>
    private static Gen<byte[]> Mutated(byte[] seed)
    {
        Gen<Func<byte[], byte[]>> mutation = Gen.OneOf(
            Gen.Select(Gen.Int, Gen.Byte, (at, value) => (Func<byte[], byte[]>)(bytes => Replace(bytes, at, value))),
            Gen.Select(Gen.Int, Gen.OneOf("\"", ",", "\t", ";", "|", "\n", "\r", "[", "{", "'"), (at, text) => (Func<byte[], byte[]>)(bytes => Insert(bytes, at, Utf8(text)))),
            Gen.Int.Select(at => (Func<byte[], byte[]>)(bytes => bytes[..Position(bytes, at)])),
            Gen.Select(Gen.Int, Gen.Int[1, 200_000], (at, length) => (Func<byte[], byte[]>)(bytes => Insert(bytes, at, Enumerable.Repeat((byte)'a', length).ToArray()))),
            Gen.Select(Gen.Int, Gen.OneOf<byte[]>([0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80]), (at, invalid) => (Func<byte[], byte[]>)(bytes => Insert(bytes, at, invalid))));
        return mutation.Array[1, 4].Select(steps => steps.Aggregate(seed, (bytes, step) => step(bytes)));
    }

    /// <summary>null when the file loads, else the <see cref="SentioException"/>'s message; any other exception or
    /// a read that takes longer than <paramref name="limit"/> fails the test.</summary>
    private static string? ReadWithin(string path, DataOptions options, string root, TimeSpan limit)
    {
        var read = Task.Run(() =>
        {
            try
            {
                DatasetLoader.ReadFile(path, options, baseDirectory: root);
                return null;
            }
            catch (SentioException e)
            {
                return e.Message;
            }
        });
        Assert.True(read.Wait(limit), $"reading {path} did not finish within {limit}");
        return read.Result;
    }

    private static string WriteFresh(string root, string fileName, byte[] bytes)
    {
        string folder = Path.Combine(root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, fileName);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static int Position(byte[] bytes, int at) => bytes.Length == 0 ? 0 : (int)((uint)at % (uint)(bytes.Length + 1));

    private static byte[] Replace(byte[] bytes, int at, byte value)
    {
        if (bytes.Length == 0) return bytes;
        byte[] copy = (byte[])bytes.Clone();
        copy[(int)((uint)at % (uint)bytes.Length)] = value;
        return copy;
    }

    private static byte[] Insert(byte[] bytes, int at, byte[] inserted)
    {
        int position = Position(bytes, at);
        return [.. bytes[..position], .. inserted, .. bytes[position..]];
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] ParquetSeed()
    {
        var rows = new[] { new LabelledRow { Text = "happy", Labels = ["joy"] }, new LabelledRow { Text = "angry", Labels = ["anger", "joy"] } };
        using var stream = new MemoryStream();
        ParquetSerializer.SerializeAsync(rows, stream).Wait();
        return stream.ToArray();
    }

    public sealed class LabelledRow
    {
        public string Text { get; set; } = "";
        public string[] Labels { get; set; } = [];
    }

    /// <summary>One line: the file name, an optional line number, then the message.</summary>
    [GeneratedRegex(@"^data\.(tsv|csv|txt|jsonl)(:\d+)?: [^\n]+$")]
    private static partial Regex TextError();

    [GeneratedRegex(@"^data\.parquet(:\d+)?: [^\n]+$")]
    private static partial Regex ParquetError();
}
