using System.Text.Json;

namespace Sentio.Tests.Evaluation;

/// <summary>Reads Fixtures/metrics/cases.json, written by tools/make_metric_fixtures.py with scikit-learn 1.2.1.</summary>
public static class MetricFixtures
{
    public const double Tolerance = 1e-9;

    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "metrics", "cases.json"))));

    public static IEnumerable<object[]> CaseNames() =>
        Document.Value.RootElement.GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    public static IEnumerable<object[]> ThresholdCaseNames() =>
        Document.Value.RootElement.GetProperty("threshold_cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    public static JsonElement Case(string name) => Find("cases", name);

    public static JsonElement ThresholdCase(string name) => Find("threshold_cases", name);

    public static bool[,] Bools(JsonElement matrix) => Matrix(matrix, e => e.GetInt32() == 1);

    public static double[,] Doubles(JsonElement matrix) => Matrix(matrix, e => e.GetDouble());

    /// <summary>A list of numbers; null stands for NaN (sklearn raises where the metric is undefined).</summary>
    public static double[] Vector(JsonElement array) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble()).ToArray();

    public static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    /// <summary>Equal within <see cref="Tolerance"/>, or both NaN.</summary>
    public static void AssertClose(double expected, double actual, string what)
    {
        if (double.IsNaN(expected)) Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual:R}");
        else Assert.True(Math.Abs(expected - actual) <= Tolerance, $"{what}: expected {expected:R}, got {actual:R}");
    }

    public static void AssertClose(double[] expected, IReadOnlyList<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int j = 0; j < expected.Length; j++) AssertClose(expected[j], actual[j], $"{what}[{j}]");
    }

    private static JsonElement Find(string section, string name) =>
        Document.Value.RootElement.GetProperty(section).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static T[,] Matrix<T>(JsonElement matrix, Func<JsonElement, T> read)
    {
        var rows = matrix.EnumerateArray().Select(r => r.EnumerateArray().Select(read).ToArray()).ToArray();
        var result = new T[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++)
                result[i, j] = rows[i][j];
        return result;
    }
}
