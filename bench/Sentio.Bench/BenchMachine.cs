using System.Diagnostics;
using System.Text.Json;

namespace Sentio.Bench;

/// <summary>What every bench says about the machine (the CPUs differ between sessions, so figures are only comparable as
/// ratios measured in one run), and how a bench runs its PyTorch / scikit-learn peer from tools/.</summary>
public static class BenchMachine
{
    private static readonly string[] CpuInfo = File.Exists("/proc/cpuinfo") ? File.ReadAllLines("/proc/cpuinfo") : [];

    public static string CpuModel =>
        CpuInfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    /// <summary>The CPU's feature flags (avx2, avx512f, avx512_vnni, amx_bf16, ...).</summary>
    public static IReadOnlySet<string> Flags { get; } =
        (CpuInfo.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1] ?? "")
        .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();

    /// <summary>The highest clock any core reports, in MHz (0 when unknown).</summary>
    public static double MaxMegahertz =>
        CpuInfo.Where(l => l.StartsWith("cpu MHz", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(':', 2)[1], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    /// <summary>The model and the vector extensions that decide libtorch's, BLAS's and ONNX Runtime's kernels.</summary>
    public static string CpuDescription()
    {
        var vector = Flags.Where(f => f is "avx" or "avx2" or "fma" || f.StartsWith("avx512", StringComparison.Ordinal) || f.Contains("vnni")
            || f.StartsWith("amx", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        return $"{CpuModel}, {Environment.ProcessorCount} logical cores, {string.Join(" ", vector)}";
    }

    /// <summary>Runs <c>tools/<paramref name="script"/></c> with Debian's /usr/bin/python3 and reads the JSON line it prints
    /// last; null (and <paramref name="failureHint"/> on stderr) when it fails.</summary>
    public static JsonElement? RunPeer(string repoRoot, string script, IEnumerable<string> arguments, int threads, string failureHint)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(repoRoot, "tools", script), .. arguments]) { RedirectStandardOutput = true };
        // Debian's torch runs OpenBLAS's own pthreads beside its OpenMP pool; OpenMP threads that spin while waiting starve
        // the BLAS threads (on 2 cores, 2 threads ran about 3x slower than 1). Passive waiting gives the peer its best figure.
        start.Environment["OMP_WAIT_POLICY"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE";
        start.Environment["OPENBLAS_NUM_THREADS"] = $"{threads}";
        using var process = Process.Start(start)!;
        string line = process.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
        process.WaitForExit();
        if (process.ExitCode == 0) return JsonDocument.Parse(line).RootElement;
        Console.Error.WriteLine(failureHint);
        return null;
    }
}
