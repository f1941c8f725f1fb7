using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using Sentio.Text;

namespace Sentio.Training;

/// <summary>Multinomial (softmax) L2-regularised logistic regression for single-label problems, the objective of
/// scikit-learn's <c>LogisticRegression(multi_class='multinomial', solver='lbfgs')</c>:
/// ½‖W‖² + C Σᵢ −log softmax(W xᵢ + b)_{yᵢ}, with W [classes, features] regularised and the intercepts b [classes]
/// not. The objective is strictly convex in W, so W is unique; b is unique up to a constant added to every class
/// (which leaves every probability unchanged), and starting from zero, gradient steps keep Σₖ bₖ = 0. Optional class
/// weights multiply each example's loss term by its class's weight, as scikit-learn's <c>class_weight</c> does.
/// Minimised by L-BFGS (Math.NET Numerics); the loss and gradient over sparse rows are computed here.</summary>
public static class MultinomialLogisticRegression
{
    /// <summary>Fits the model.</summary>
    /// <param name="features">Examples as CSR rows [n, features].</param>
    /// <param name="classes">The class of each example, [n], each in [0, <paramref name="classCount"/>).</param>
    /// <param name="c">Inverse regularisation strength (&gt; 0).</param>
    /// <param name="tolerance">Stop when Math.NET's relative gradient, maxᵢ |gᵢ| · max(|xᵢ|, 1) / max(|objective|, 1),
    /// falls below this.</param>
    /// <param name="classWeights">[classes] weight of each class's examples; null weighs every example 1.</param>
    /// <returns>Weights [classes, features], intercepts [classes], and the L-BFGS iterations used.</returns>
    /// <exception cref="ArgumentException">Shapes disagree, a class is out of range, or C ≤ 0.</exception>
    public static (double[,] Weights, double[] Intercepts, int Iterations) Solve(
        CsrMatrix features, int[] classes, int classCount, double c, double tolerance = 1e-8, int maxIterations = 10_000,
        IReadOnlyList<double>? classWeights = null)
    {
        if (classes.Length != features.Rows) throw new ArgumentException($"{classes.Length} classes for {features.Rows} rows.", nameof(classes));
        if (classCount < 2) throw new ArgumentException($"classCount is {classCount}; a multinomial model needs at least 2 classes.", nameof(classCount));
        if (!(c > 0)) throw new ArgumentException($"C must be > 0, got {c}.", nameof(c));
        if (classes.Any(k => (uint)k >= (uint)classCount)) throw new ArgumentException($"a class is outside 0..{classCount - 1}.", nameof(classes));
        if (classWeights != null && classWeights.Count != classCount) throw new ArgumentException($"{classWeights.Count} class weights for {classCount} classes.", nameof(classWeights));

        int featureCount = features.ColumnCount;
        var objective = ObjectiveFunction.Gradient(parameters =>
        {
            var (loss, gradient) = LossAndGradient(features, classes, classCount, c, classWeights, parameters.AsArray() ?? parameters.ToArray());
            return (loss, Vector<double>.Build.Dense(gradient));
        });
        var minimizer = new LimitedMemoryBfgsMinimizer(tolerance, 0, 0, maxIterations);
        MinimizationResult result = minimizer.FindMinimum(objective, Vector<double>.Build.Dense(classCount * (featureCount + 1)));
        double[] solution = result.MinimizingPoint.ToArray();

        var weights = new double[classCount, featureCount];
        var intercepts = new double[classCount];
        for (int k = 0; k < classCount; k++)
        {
            for (int f = 0; f < featureCount; f++) weights[k, f] = solution[k * featureCount + f];
            intercepts[k] = solution[classCount * featureCount + k];
        }
        return (weights, intercepts, result.Iterations);
    }

    /// <summary>scikit-learn's <c>class_weight='balanced'</c>: n / (classes · count of the class); a class with no
    /// examples gets 1 (it has no loss term to weigh).</summary>
    public static double[] BalancedClassWeights(int[] classes, int classCount)
    {
        var counts = new int[classCount];
        foreach (int k in classes) counts[k]++;
        return counts.Select(n => n == 0 ? 1.0 : (double)classes.Length / (classCount * n)).ToArray();
    }

    /// <summary>Softmax probabilities [n, classes] of each row of <paramref name="features"/>.</summary>
    public static double[,] Probabilities(CsrMatrix features, double[,] weights, double[] intercepts)
    {
        int classCount = intercepts.Length;
        var probabilities = new double[features.Rows, classCount];
        var scores = new double[classCount];
        for (int i = 0; i < features.Rows; i++)
        {
            for (int k = 0; k < classCount; k++)
            {
                double score = intercepts[k];
                for (int j = features.RowStarts[i]; j < features.RowStarts[i + 1]; j++) score += weights[k, features.Columns[j]] * features.Values[j];
                scores[k] = score;
            }
            Softmax(scores);
            for (int k = 0; k < classCount; k++) probabilities[i, k] = scores[k];
        }
        return probabilities;
    }

    /// <summary>The objective and its gradient at <paramref name="parameters"/> (W row-major, then b).</summary>
    private static (double Loss, double[] Gradient) LossAndGradient(CsrMatrix features, int[] classes, int classCount, double c,
        IReadOnlyList<double>? classWeights, double[] parameters)
    {
        int featureCount = features.ColumnCount, interceptStart = classCount * featureCount;
        var gradient = new double[parameters.Length];
        double loss = 0;
        for (int p = 0; p < interceptStart; p++)
        {
            loss += 0.5 * parameters[p] * parameters[p];
            gradient[p] = parameters[p];
        }
        var scores = new double[classCount];
        for (int i = 0; i < features.Rows; i++)
        {
            int start = features.RowStarts[i], end = features.RowStarts[i + 1];
            for (int k = 0; k < classCount; k++)
            {
                double score = parameters[interceptStart + k];
                for (int j = start; j < end; j++) score += parameters[k * featureCount + features.Columns[j]] * features.Values[j];
                scores[k] = score;
            }
            double max = scores.Max(), sum = 0, weight = c * (classWeights?[classes[i]] ?? 1);
            for (int k = 0; k < classCount; k++) sum += Math.Exp(scores[k] - max);
            loss += weight * (max + Math.Log(sum) - scores[classes[i]]);
            for (int k = 0; k < classCount; k++)
            {
                double residual = weight * (Math.Exp(scores[k] - max) / sum - (k == classes[i] ? 1 : 0));
                gradient[interceptStart + k] += residual;
                for (int j = start; j < end; j++) gradient[k * featureCount + features.Columns[j]] += residual * features.Values[j];
            }
        }
        return (loss, gradient);
    }

    private static void Softmax(double[] scores)
    {
        double max = scores.Max(), sum = 0;
        for (int k = 0; k < scores.Length; k++) sum += scores[k] = Math.Exp(scores[k] - max);
        for (int k = 0; k < scores.Length; k++) scores[k] /= sum;
    }
}
