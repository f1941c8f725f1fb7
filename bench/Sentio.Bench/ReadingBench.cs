using System.Diagnostics;
using Sentio.Data;

namespace Sentio.Bench;

/// <summary>Reading a large wide CSV (the Kaggle GoEmotions layout, tools/make_kaggle_goemotions_csv.py): the old
/// hand-written parser beside Sep, the same file in the same run, best of <c>--repeats</c> each; then the whole
/// <see cref="WideCsvReader.Read"/> (sniffing, header, label columns, examples).</summary>
internal static class ReadingBench
{
    public static int Run(Dictionary<string, string> options)
    {
        string path = options.GetValueOrDefault("file") ?? "/tmp/go_emotions_dataset.csv";
        int repeats = int.Parse(options.GetValueOrDefault("repeats") ?? "5", System.Globalization.CultureInfo.InvariantCulture);
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"{path}: not found; make it with /usr/bin/python3 tools/make_kaggle_goemotions_csv.py ../shared/data/goemotions/original {path}");
            return 1;
        }
        Console.WriteLine($"CPU: {BenchMachine.CpuModel}, {Environment.ProcessorCount} logical cores; file {path} ({new FileInfo(path).Length / 1e6:F1} MB)");
        string content = DelimitedText.ReadAllText(path);

        var (legacyRows, legacy) = Best(repeats, () => LegacyCsvParser.ParseCsv(content, "go_emotions_dataset.csv").Count());
        var (sepRows, sep) = Best(repeats, () => DelimitedText.ParseCsv(content, "go_emotions_dataset.csv").Count());
        if (legacyRows != sepRows) throw new InvalidOperationException($"row counts differ: {legacyRows} vs {sepRows}");
        var (examples, whole) = Best(repeats, () => WideCsvReader.Read(path).Count);

        Console.WriteLine($"{"parse text into rows",-36} {"rows",9} {"best s",8} {"rows/s",12}");
        Console.WriteLine($"{"old hand-written parser",-36} {legacyRows,9:N0} {legacy,8:F3} {legacyRows / legacy,12:N0}");
        Console.WriteLine($"{"Sep 0.17.1 (+ quote check/unescape)",-36} {sepRows,9:N0} {sep,8:F3} {sepRows / sep,12:N0}");
        Console.WriteLine($"speed-up Sep / old: {legacy / sep:F2}x");
        Console.WriteLine($"WideCsvReader.Read (UTF-8 check, sniff, 28 label columns): {examples:N0} examples in {whole:F3} s");
        return 0;
    }

    private static (int Result, double Seconds) Best(int repeats, Func<int> action)
    {
        int result = 0;
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            result = action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return (result, best);
    }

}
