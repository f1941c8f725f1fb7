using Sentio.Text;

namespace Sentio.Training;

/// <summary>Binary L2-regularised logistic regression solved exactly in the dual by coordinate descent
/// (Yu, Huang &amp; Lin 2011, "Dual coordinate descent methods for logistic regression and maximum entropy
/// models"; LIBLINEAR's <c>-s 7</c>). It minimises the same objective as scikit-learn's
/// <c>LogisticRegression(solver='liblinear')</c>:
/// ½‖w‖² + Σᵢ Cᵢ log(1 + exp(−yᵢ wᵀxᵢ)), with the bias as an extra regularised feature of value 1.
/// Each pass over the data costs one sparse dot product and one sparse update per example, and the model
/// vector of one label fits in cache, so one-vs-rest over many labels runs label-parallel and deterministically.</summary>
public static class DualLogisticRegression
{
    /// <summary>Solves one binary problem. Returns the weights [features + 1]: the last entry is the bias.</summary>
    /// <param name="features">Examples as CSR rows [n, features].</param>
    /// <param name="positive">The binary target per example, [n].</param>
    /// <param name="costPositive">C for positive examples (C × class weight).</param>
    /// <param name="costNegative">C for negative examples.</param>
    /// <param name="tolerance">Stop when the largest projected-gradient magnitude of a pass falls below this (LIBLINEAR's eps).</param>
    /// <param name="maxPasses">Upper bound on passes over the data.</param>
    /// <param name="seed">Seeds the order in which coordinates are visited.</param>
    public static (double[] Weights, int Passes) Solve(
        CsrMatrix features, bool[] positive, double costPositive, double costNegative,
        double tolerance, int maxPasses, int seed)
    {
        const int maxInnerNewtonSteps = 100;
        int n = features.Rows, biasIndex = features.ColumnCount;
        var w = new double[features.ColumnCount + 1];
        // alpha[2i] is the dual variable, alpha[2i+1] = C_i - alpha[2i]; both kept to avoid cancellation.
        var alpha = new double[2 * n];
        var squaredNorm = new double[n];
        var upper = new double[n];
        var sign = new double[n];
        var order = new int[n];
        int[] starts = features.RowStarts, columns = features.Columns;
        float[] values = features.Values;

        for (int i = 0; i < n; i++)
        {
            sign[i] = positive[i] ? 1 : -1;
            upper[i] = positive[i] ? costPositive : costNegative;
            alpha[2 * i] = Math.Min(0.001 * upper[i], 1e-8);
            alpha[2 * i + 1] = upper[i] - alpha[2 * i];
            double norm = 1; // the bias feature
            for (int k = starts[i]; k < starts[i + 1]; k++) norm += (double)values[k] * values[k];
            squaredNorm[i] = norm;
            double step = sign[i] * alpha[2 * i];
            for (int k = starts[i]; k < starts[i + 1]; k++) w[columns[k]] += step * values[k];
            w[biasIndex] += step;
            order[i] = i;
        }

        var random = new Random(seed);
        double innerTolerance = 1e-2, innerToleranceFloor = Math.Min(1e-8, tolerance);
        int passes = 0;
        while (passes < maxPasses)
        {
            random.Shuffle(order);
            double largestGradient = 0;
            int newtonSteps = 0;
            foreach (int i in order)
            {
                double c = upper[i], a = squaredNorm[i];
                double margin = w[biasIndex];
                for (int k = starts[i]; k < starts[i + 1]; k++) margin += w[columns[k]] * values[k];
                double b = sign[i] * margin;

                // Minimise over whichever of alpha_i and C_i - alpha_i is the better-conditioned variable.
                int first = 2 * i, second = 2 * i + 1;
                double direction = 1;
                if (0.5 * a * (alpha[second] - alpha[first]) + b < 0) { (first, second) = (second, first); direction = -1; }

                double old = alpha[first], z = old;
                if (c - z < 0.5 * c) z = 0.1 * z;
                double gradient = a * (z - old) + direction * b + Math.Log(z / (c - z));
                largestGradient = Math.Max(largestGradient, Math.Abs(gradient));

                int inner = 0;
                while (inner <= maxInnerNewtonSteps && Math.Abs(gradient) >= innerTolerance)
                {
                    double curvature = a + c / (c - z) / z;
                    double next = z - gradient / curvature;
                    z = next <= 0 ? z * 0.1 : next;
                    gradient = a * (z - old) + direction * b + Math.Log(z / (c - z));
                    newtonSteps++;
                    inner++;
                }
                if (inner == 0) continue;
                alpha[first] = z;
                alpha[second] = c - z;
                double update = direction * (z - old) * sign[i];
                for (int k = starts[i]; k < starts[i + 1]; k++) w[columns[k]] += update * values[k];
                w[biasIndex] += update;
            }
            passes++;
            if (largestGradient < tolerance) break;
            if (newtonSteps <= n / 10) innerTolerance = Math.Max(innerToleranceFloor, 0.1 * innerTolerance);
        }
        return (w, passes);
    }
}
