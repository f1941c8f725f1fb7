using System.Text.Json;
using Sentio.Text;
using Sentio.Training;

namespace Sentio.Tests.Models;

/// <summary>The softmax solver against scikit-learn 1.2.1's LogisticRegression(multi_class='multinomial',
/// solver='lbfgs', C=0.7), plain and with class_weight='balanced', on a dense 60 × 5, 3-class fixture
/// (tools/make_single_label_fixtures.py).</summary>
public class MultinomialLogisticRegressionTests
{
    // Features are stored as float in a CsrMatrix, so the optimum moves by about float precision.
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData("multinomial", false)]
    [InlineData("multinomial_balanced", true)]
    public void CoefficientsAndProbabilitiesEqualScikitLearn(string key, bool balanced)
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "single_label", "cases.json"))).RootElement;
        var fixture = root.GetProperty(key);
        var problem = root.GetProperty("multinomial");
        double[][] x = problem.GetProperty("x").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        int[] y = problem.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        double[][] coef = fixture.GetProperty("coef").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        double[] intercept = fixture.GetProperty("intercept").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double[][] proba = fixture.GetProperty("proba").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var features = Dense(x);

        var classWeights = balanced ? MultinomialLogisticRegression.BalancedClassWeights(y, 3) : null;
        var (weights, intercepts, _) = MultinomialLogisticRegression.Solve(features, y, 3, fixture.GetProperty("c").GetDouble(), tolerance: 1e-10,
            classWeights: classWeights);

        for (int k = 0; k < 3; k++)
            for (int f = 0; f < x[0].Length; f++) Assert.Equal(coef[k][f], weights[k, f], Tolerance);
        // Intercepts are unique up to a shared constant; both solvers start at zero and keep their sum at zero.
        for (int k = 0; k < 3; k++) Assert.Equal(intercept[k] - intercept.Average(), intercepts[k] - intercepts.Average(), Tolerance);
        var probabilities = MultinomialLogisticRegression.Probabilities(features, weights, intercepts);
        for (int i = 0; i < x.Length; i++)
            for (int k = 0; k < 3; k++) Assert.Equal(proba[i][k], probabilities[i, k], Tolerance);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var features = Dense([[1.0], [2.0]]);
        Assert.Throws<ArgumentException>(() => MultinomialLogisticRegression.Solve(features, [0, 3], 3, 1));
        Assert.Throws<ArgumentException>(() => MultinomialLogisticRegression.Solve(features, [0, 1], 2, 0));
        Assert.Throws<ArgumentException>(() => MultinomialLogisticRegression.Solve(features, [0], 2, 1));
        Assert.Throws<ArgumentException>(() => MultinomialLogisticRegression.Solve(features, [0, 1], 2, 1, classWeights: [1.0]));
    }

    [Fact]
    public void BalancedClassWeightsAreNOverClassesTimesCount()
    {
        // 4 examples, 2 classes counted 3 and 1: 4 / (2 · 3) and 4 / (2 · 1).
        Assert.Equal([4 / 6.0, 2.0], MultinomialLogisticRegression.BalancedClassWeights([0, 0, 0, 1], 2));
    }

    private static CsrMatrix Dense(double[][] rows)
    {
        int columns = rows[0].Length;
        var starts = Enumerable.Range(0, rows.Length + 1).Select(i => i * columns).ToArray();
        var indices = rows.SelectMany(_ => Enumerable.Range(0, columns)).ToArray();
        var values = rows.SelectMany(r => r.Select(v => (float)v)).ToArray();
        return new CsrMatrix(starts, indices, values, columns);
    }
}
