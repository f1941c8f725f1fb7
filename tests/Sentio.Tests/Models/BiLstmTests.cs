using Sentio.Data;
using Sentio.Models;
using Sentio.Training;
using TorchSharp;
using static TorchSharp.torch;
using Sentio.Catalog;

namespace Sentio.Tests.Models;

[Collection(TorchRandomCollection.Name)]
public class BiLstmTests
{
    private static readonly BiLstmOptions Small = new()
    {
        EmbeddingDim = 5, HiddenSize = 3, MinFrequency = 1, Dropout = 0.2,
        Training = new NeuralTrainingOptions { Epochs = 2, BatchSize = 4, EarlyStoppingPatience = 0 },
    };

    private static float[] Row(Tensor logits, int row) => logits[row].contiguous().data<float>().ToArray();

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}] {expected[i]} vs {actual[i]}");
    }

    [Theory]
    [InlineData(BiLstmPooling.Last, 1)]
    [InlineData(BiLstmPooling.Max, 1)]
    [InlineData(BiLstmPooling.Attention, 1)]
    [InlineData(BiLstmPooling.Last, 2)]
    [InlineData(BiLstmPooling.Max, 2)]
    [InlineData(BiLstmPooling.Attention, 2)]
    public void PaddingDoesNotChangeATextsLogits(BiLstmPooling pooling, int layers)
    {
        torch.manual_seed(11);
        using var network = new BiLstmNetwork(20, Small with { Pooling = pooling, Layers = layers }, labelCount: 4);
        network.eval();
        using var noGrad = torch.no_grad();
        // The text [5, 6, 7] alone; then padded with three extra 0s; then batched behind a longer text.
        using var alone = network.call(tensor(new long[] { 5, 6, 7 }, [1, 3]), tensor(new long[] { 3 }));
        using var padded = network.call(tensor(new long[] { 5, 6, 7, 0, 0, 0 }, [1, 6]), tensor(new long[] { 3 }));
        using var batched = network.call(tensor(new long[] { 9, 8, 7, 6, 5, 4, 5, 6, 7, 0, 0, 0 }, [2, 6]), tensor(new long[] { 6, 3 }));
        AssertClose(Row(alone, 0), Row(padded, 0), 1e-5);
        AssertClose(Row(alone, 0), Row(batched, 1), 1e-5);
    }

    [Fact]
    public void LastPoolingEqualsAHandRunLstm()
    {
        torch.manual_seed(5);
        using var network = new BiLstmNetwork(20, Small with { Pooling = BiLstmPooling.Last }, labelCount: 2);
        network.eval();
        using var noGrad = torch.no_grad();
        var p = network.named_parameters().ToDictionary(x => x.name, x => x.parameter.detach().contiguous().data<float>().ToArray());
        long[] text = [3, 1, 4, 1];
        const int hidden = 3, input = 5;

        float[] Embed(long id) => p["embedding.weight"].Skip((int)id * input).Take(input).ToArray();
        // PyTorch's LSTM cell, gates in the order input, forget, cell, output:
        // g = W_ih x + b_ih + W_hh h + b_hh; c' = σ(f) c + σ(i) tanh(g_c); h' = σ(o) tanh(c').
        (double[] H, double[] C) Step(string suffix, float[] x, double[] h, double[] c)
        {
            float[] wih = p["lstm.weight_ih_l0" + suffix], whh = p["lstm.weight_hh_l0" + suffix];
            float[] bih = p["lstm.bias_ih_l0" + suffix], bhh = p["lstm.bias_hh_l0" + suffix];
            var gate = new double[4 * hidden];
            for (int r = 0; r < 4 * hidden; r++)
            {
                double sum = bih[r] + bhh[r];
                for (int k = 0; k < input; k++) sum += wih[r * input + k] * x[k];
                for (int k = 0; k < hidden; k++) sum += whh[r * hidden + k] * h[k];
                gate[r] = sum;
            }
            double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
            var newH = new double[hidden];
            var newC = new double[hidden];
            for (int k = 0; k < hidden; k++)
            {
                newC[k] = Sigmoid(gate[hidden + k]) * c[k] + Sigmoid(gate[k]) * Math.Tanh(gate[2 * hidden + k]);
                newH[k] = Sigmoid(gate[3 * hidden + k]) * Math.Tanh(newC[k]);
            }
            return (newH, newC);
        }
        (double[] H, double[] C) forward = (new double[hidden], new double[hidden]), backward = forward;
        foreach (long id in text) forward = Step("", Embed(id), forward.H, forward.C);
        foreach (long id in text.Reverse()) backward = Step("_reverse", Embed(id), backward.H, backward.C);
        double[] pooled = [.. forward.H, .. backward.H];
        var expected = new float[2];
        for (int label = 0; label < 2; label++)
        {
            double sum = p["head.bias"][label];
            for (int k = 0; k < 2 * hidden; k++) sum += p["head.weight"][label * 2 * hidden + k] * pooled[k];
            expected[label] = (float)sum;
        }

        // The text sits second in a batch, padded behind a longer one.
        using var logits = network.call(tensor(new long[] { 2, 2, 2, 2, 2, 2, 3, 1, 4, 1, 0, 0 }, [2, 6]), tensor(new long[] { 6, 4 }));
        AssertClose(expected, Row(logits, 1), 1e-5);
    }

    private static readonly string[] Labels = ["joy", "anger"];

    /// <summary>Joyful texts say "love"/"great", angry ones "hate"/"awful"; 24 examples.</summary>
    private static MultiLabelDataset Toy()
    {
        string[] joy = ["i love this", "great day", "love it [NAME]", "so great 😂"], anger = ["i hate this", "awful day", "hate it [NAME]", "so awful 😡"];
        var examples = new List<TextExample>();
        for (int i = 0; i < 24; i++)
        {
            bool isJoy = i % 2 == 0;
            string text = (isJoy ? joy : anger)[i / 2 % 4];
            examples.Add(new TextExample(null, text, isJoy ? [0] : [1]));
        }
        return new MultiLabelDataset(Labels, examples);
    }

    [Fact]
    public void SavedModelLoadsThroughTheCatalogWithIdenticalProbabilities()
    {
        var data = Toy();
        using var model = new BiLstmClassifier(Small, Labels, seed: 3);
        model.Fit(data, data, FitContext.Silent);
        string[] texts = ["i love [NAME]", "awful awful", "", "unseen words only"];
        var before = model.PredictProbabilities(texts);

        string directory = TestPaths.NewTempDirectory();
        model.Save(directory);
        using var loaded = ModelCatalog.Load(directory);
        Assert.IsType<BiLstmClassifier>(loaded);
        Assert.Equal(Labels, loaded.LabelNames);
        Assert.Equal(before, loaded.PredictProbabilities(texts));
        Assert.Equal([4, 2], new[] { before.GetLength(0), before.GetLength(1) });
    }

    [Fact]
    public void SameSeedGivesTheSameModel()
    {
        var data = Toy();
        using var first = new BiLstmClassifier(Small, Labels, seed: 8);
        using var second = new BiLstmClassifier(Small, Labels, seed: 8);
        first.Fit(data, null, FitContext.Silent);
        second.Fit(data, null, FitContext.Silent);
        Assert.Equal(first.PredictProbabilities(["love it"]), second.PredictProbabilities(["love it"]));
    }

    [Fact]
    public void FrozenPretrainedVectorsAreUsedAndStayFixed()
    {
        // Vocabulary of the toy data (lowercased) includes "love" and "hate"; the file gives them 5-d vectors.
        string path = Path.Combine(TestPaths.NewTempDirectory(), "vectors.txt");
        File.WriteAllText(path, "2 5\nlove 1 2 3 4 5\nhate -1 -2 -3 -4 -5\n");
        var data = Toy();
        var monitor = new RecordingMonitor();
        using var model = new BiLstmClassifier(Small with { Embeddings = path, FreezeEmbeddings = true }, Labels, seed: 2);
        model.Fit(data, null, new FitContext(monitor));
        string directory = TestPaths.NewTempDirectory();
        model.Save(directory);
        string[] vocabulary = File.ReadAllLines(Path.Combine(directory, "vocab.txt"));
        // The log reports 2 of the vocabulary's words (all but <pad> and <unk>) found.
        Assert.Contains(monitor.Lines, l => l.StartsWith($"word vectors: {2.0 / (vocabulary.Length - 2):P1} of {vocabulary.Length - 2} vocabulary words"));

        using var network = new BiLstmNetwork(vocabulary.Length, Small, Labels.Length);
        network.load(Path.Combine(directory, "weights.bin"));
        int love = Array.IndexOf(vocabulary, "love");
        Assert.Equal([1f, 2f, 3f, 4f, 5f], network.EmbeddingWeight[love].data<float>().ToArray());
    }

    [Fact]
    public void EmbeddingDimensionMismatchNamesTheKey()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "vectors.txt");
        File.WriteAllText(path, "love 1 2 3\n");
        using var model = new BiLstmClassifier(Small with { Embeddings = path }, Labels, seed: 2);
        var error = Assert.Throws<SentioException>(() => model.Fit(Toy(), null, FitContext.Silent));
        Assert.Equal($"model.embedding_dim: 5, but the vectors in {path} have 3 dimensions; set embedding_dim: 3", error.Message);
    }

    [Fact]
    public void EmptyTrainingSplitIsAClearError()
    {
        using var model = new BiLstmClassifier(Small, Labels, seed: 1);
        var error = Assert.Throws<SentioException>(() => model.Fit(new MultiLabelDataset(Labels, []), null, FitContext.Silent));
        Assert.Equal("training split: no examples to train on", error.Message);
    }

    [Fact]
    public void OptionErrorsNameTheirKeys()
    {
        var errors = (Small with { Layers = 3, FreezeEmbeddings = true, Training = Small.Training with { BatchSize = 0 } }).Validate()
            .Select(e => e.Key).ToArray();
        Assert.Equal(["layers", "freeze_embeddings", "training.batch_size"], errors);
    }

}
