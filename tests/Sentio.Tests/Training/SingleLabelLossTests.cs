using System.Text.Json;
using Sentio.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Sentio.Tests.Training;

/// <summary>The single-label losses against torch 1.13 on a 12 × 4 fixture (tools/make_single_label_fixtures.py):
/// F.cross_entropy with and without class weights, and the multi-class focal loss computed in torch.</summary>
public class SingleLabelLossTests
{
    // The loss runs in float32; the fixture is float64.
    private const double Tolerance = 1e-5;

    private static readonly JsonElement Fixture = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Fixtures, "single_label", "cases.json"))).RootElement.GetProperty("losses");

    private static double[] Doubles(string key) => Fixture.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static double Loss(NeuralLoss kind, bool weighted)
    {
        double[][] rows = Fixture.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        long[] targets = Fixture.GetProperty("targets").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        using var scope = NewDisposeScope();
        using var loss = new SingleLabelLoss(kind, Fixture.GetProperty("focal_gamma").GetDouble(), weighted ? Doubles("class_weights") : null);
        var logits = tensor(rows.SelectMany(r => r.Select(v => (float)v)).ToArray(), [rows.Length, rows[0].Length]);
        return loss.Compute(logits, tensor(targets)).item<float>();
    }

    [Theory]
    [InlineData(NeuralLoss.CrossEntropy, false, "cross_entropy")]
    [InlineData(NeuralLoss.CrossEntropy, true, "cross_entropy_weighted")]
    [InlineData(NeuralLoss.Focal, false, "focal")]
    [InlineData(NeuralLoss.Focal, true, "focal_weighted")]
    public void EqualsTorch(NeuralLoss kind, bool weighted, string key) =>
        Assert.Equal(Fixture.GetProperty(key).GetDouble(), Loss(kind, weighted), Tolerance);

    [Fact]
    public void BalancedClassWeightsAreScikitLearnsBalanced()
    {
        long[] targets = Fixture.GetProperty("targets").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var oneHot = new bool[targets.Length, 4];
        for (int i = 0; i < targets.Length; i++) oneHot[i, targets[i]] = true;
        Assert.Equal(Doubles("balanced_class_weights"), SingleLabelLoss.BalancedClassWeights(oneHot, cap: 10), new NearlyEqual(1e-12));
        // Capped, and a class with no examples gets the cap: 3 rows of class 0 of 2 → weights 3/(2·3) = 0.5 and the cap.
        Assert.Equal([0.5, 2.0], SingleLabelLoss.BalancedClassWeights(new bool[,] { { true, false }, { true, false }, { true, false } }, cap: 2));
    }

    [Fact]
    public void EachLossBelongsToOneProblemType()
    {
        Assert.Throws<ArgumentException>(() => new SingleLabelLoss(NeuralLoss.Bce, 2, null));
        Assert.Throws<ArgumentException>(() => new MultiLabelLoss(NeuralLoss.CrossEntropy, 2, null, null));
    }

    private sealed class NearlyEqual(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double value) => 0;
    }
}
