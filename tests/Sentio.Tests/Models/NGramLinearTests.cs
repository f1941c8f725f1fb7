using System.Text.Json;
using Sentio.Data;
using Sentio.Models;
using Sentio.Text;
using Sentio.Training;
using Sentio.Catalog;

namespace Sentio.Tests.Models;

public class TfidfNGramVectorizerTests
{
    private static readonly JsonElement Fixture =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "linear", "tfidf.json"))).RootElement;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Matches_scikit_learn_TfidfVectorizer(int caseIndex)
    {
        var texts = Fixture.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var expected = Fixture.GetProperty("cases")[caseIndex];
        var options = new NGramBlockOptions
        {
            Analyzer = expected.GetProperty("analyzer").GetString() == "word" ? NGramAnalyzer.Word : NGramAnalyzer.CharWordBounded,
            MinN = expected.GetProperty("min_n").GetInt32(),
            MaxN = expected.GetProperty("max_n").GetInt32(),
            MinDocumentFrequency = expected.GetProperty("min_df").GetInt32(),
        };

        var vectorizer = TfidfNGramVectorizer.Fit(options, texts);
        var matrix = vectorizer.Transform(texts);

        var idf = expected.GetProperty("idf").EnumerateObject().ToArray();
        Assert.Equal(idf.Length, vectorizer.FeatureCount);
        foreach (var term in idf)
            Assert.Equal(term.Value.GetDouble(), vectorizer.Idf[vectorizer.ColumnOf(term.Name)!.Value], 1e-6);
        for (int r = 0; r < texts.Length; r++)
        {
            var row = expected.GetProperty("rows")[r].EnumerateObject().ToDictionary(p => vectorizer.ColumnOf(p.Name)!.Value, p => p.Value.GetDouble());
            var actual = Enumerable.Range(matrix.RowStarts[r], matrix.RowStarts[r + 1] - matrix.RowStarts[r])
                .ToDictionary(k => matrix.Columns[k], k => (double)matrix.Values[k]);
            Assert.Equal(row.Keys.Order(), actual.Keys.Order());
            foreach (var (column, value) in row) Assert.Equal(value, actual[column], 1e-6);
        }
    }

    [Fact]
    public void Unknown_terms_are_left_out_and_empty_rows_stay_zero()
    {
        var vectorizer = TfidfNGramVectorizer.Fit(new NGramBlockOptions { MinDocumentFrequency = 1, MaxN = 1 }, ["good day", "bad day"]);
        var matrix = vectorizer.Transform(["unseen words", "good"]);
        Assert.Equal(0, matrix.RowStarts[1]);
        // "good" alone: one term, so its L2-normalised weight is exactly 1.
        Assert.Equal([1f], matrix.Values);
    }
}

public class DualLogisticRegressionTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Reaches_the_same_optimum_as_scikit_learn_liblinear(int caseIndex)
    {
        var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "linear", "logistic_regression.json")))
            .RootElement.GetProperty("cases")[caseIndex];
        var x = fixture.GetProperty("x").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var y = fixture.GetProperty("y").EnumerateArray().Select(v => v.GetInt32() == 1).ToArray();
        double c = fixture.GetProperty("c").GetDouble();
        double costPositive = c, costNegative = c;
        if (fixture.GetProperty("class_weight").GetString() == "balanced")
        {
            int positives = y.Count(v => v);
            costPositive = c * y.Length / (2.0 * positives);
            costNegative = c * y.Length / (2.0 * (y.Length - positives));
        }
        var starts = new List<int> { 0 };
        var columns = new List<int>();
        var values = new List<float>();
        foreach (var row in x)
        {
            for (int j = 0; j < row.Length; j++)
                if (row[j] != 0) { columns.Add(j); values.Add((float)row[j]); }
            starts.Add(columns.Count);
        }
        var matrix = new CsrMatrix(starts.ToArray(), columns.ToArray(), values.ToArray(), x[0].Length);

        var (w, _) = DualLogisticRegression.Solve(matrix, y, costPositive, costNegative, tolerance: 1e-9, maxPasses: 100000, seed: 1);

        var coefficients = fixture.GetProperty("coefficients").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int j = 0; j < coefficients.Length; j++) Assert.Equal(coefficients[j], w[j], 1e-4);
        Assert.Equal(fixture.GetProperty("intercept").GetDouble(), w[^1], 1e-4);
    }
}

public class NGramLinearTests
{
    private static readonly string[] Labels = ["joy", "anger"];

    private static MultiLabelDataset Toy() => new(Labels,
    [
        new(null, "i love this, so happy", [0]),
        new(null, "what a happy lovely day", [0]),
        new(null, "so happy and glad", [0]),
        new(null, "i hate this, so angry", [1]),
        new(null, "angry and furious today", [1]),
        new(null, "hate hate hate", [1]),
        new(null, "happy but angry", [0, 1]),
        new(null, "the table is brown", []),
    ]);

    [Fact]
    public void Learns_a_separable_toy_problem_and_round_trips_through_save_and_load()
    {
        var options = new NGramLinearOptions { C = 10, WordNgrams = new NGramBlockOptions { MinDocumentFrequency = 1 }, CharNgrams = null };
        using var model = new NGramLinear(options, Labels, seed: 7);
        model.Fit(Toy(), null, FitContext.Silent);

        var probabilities = model.PredictProbabilities(["so happy", "so angry"]);
        Assert.True(probabilities[0, 0] > 0.5 && probabilities[0, 1] < 0.5);
        Assert.True(probabilities[1, 1] > 0.5 && probabilities[1, 0] < 0.5);

        string folder = TestPaths.NewTempDirectory();
        model.Save(folder);
        using var loaded = ModelCatalog.Load(folder);
        Assert.Equal(NGramLinear.ArchitectureName, loaded.Architecture);
        Assert.Equal(Labels, loaded.LabelNames);
        var reloaded = loaded.PredictProbabilities(["so happy", "so angry"]);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) Assert.Equal(probabilities[i, j], reloaded[i, j], 1e-12);
    }

    [Fact]
    public void Same_seed_gives_identical_probabilities()
    {
        double[,] Run()
        {
            using var model = new NGramLinear(new NGramLinearOptions(), Labels, seed: 3);
            model.Fit(Toy(), null, FitContext.Silent);
            return model.PredictProbabilities(["happy day", "angry day"]);
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Loading_a_truncated_weights_file_names_the_file()
    {
        using var model = new NGramLinear(new NGramLinearOptions(), Labels, seed: 1);
        model.Fit(Toy(), null, FitContext.Silent);
        string folder = TestPaths.NewTempDirectory();
        model.Save(folder);
        string weights = Path.Combine(folder, "ngram_linear.bin");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]);

        var error = Assert.Throws<SentioException>(() => ModelCatalog.Load(folder));
        Assert.Equal($"{weights}: truncated file", error.Message);
    }

    [Fact]
    public void A_single_label_model_predicts_what_scikit_learn_tfidf_and_multinomial_logistic_regression_predict()
    {
        // tools/make_single_label_fixtures.py: TfidfVectorizer(word 1-2-grams, min_df 1, sublinear tf) then
        // LogisticRegression(multi_class='multinomial', C=2) on 18 texts of 3 classes.
        var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "single_label", "cases.json"))).RootElement
            .GetProperty("ngram_multinomial");
        string[] classes = fixture.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        string[] texts = fixture.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        string[] labels = fixture.GetProperty("labels").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var train = new MultiLabelDataset(classes, texts.Select((t, i) => new TextExample(null, t, [Array.IndexOf(classes, labels[i])])).ToArray());
        var options = new NGramLinearOptions
        {
            WordNgrams = new() { Analyzer = NGramAnalyzer.Word, MinN = 1, MaxN = 2, MinDocumentFrequency = 1 },
            CharNgrams = null,
            C = fixture.GetProperty("c").GetDouble(),
            MultinomialTolerance = 1e-12,
        };
        using var model = new NGramLinear(options, classes, seed: 1, ProblemType.SingleLabelClassification);
        model.Fit(train, null, FitContext.Silent);

        foreach (var (inputs, key) in new[] { (texts, "train_proba"), (fixture.GetProperty("probes").EnumerateArray().Select(t => t.GetString()!).ToArray(), "probe_proba") })
        {
            var expected = fixture.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            var probabilities = model.PredictProbabilities(inputs);
            // TF-IDF values and weights are stored as float, so probabilities agree to about float precision.
            for (int i = 0; i < inputs.Length; i++)
                for (int k = 0; k < classes.Length; k++) Assert.Equal(expected[i][k], probabilities[i, k], 1e-5);
        }
    }
}
