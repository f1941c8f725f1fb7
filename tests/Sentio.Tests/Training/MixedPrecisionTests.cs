using Sentio.Checkpoints;
using Sentio.Models;
using Sentio.Runs;
using Sentio.Tests.Models;
using Sentio.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sentio.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public class MixedPrecisionTests
{
    private static Parameter WithGrad(params float[] grad)
    {
        var parameter = new Parameter(zeros(grad.Length));
        parameter.grad = tensor(grad);
        return parameter;
    }

    [Fact]
    public void The_scaler_backs_off_on_overflow_and_grows_after_an_interval_of_clean_steps()
    {
        // Scale 8, growth ×2 every 3 clean steps, backoff ×0.5 (GradScaler's update rule). By hand:
        // clean, clean → 8 (tracker 1, 2); clean → 16 (tracker 3 = interval → reset 0); inf → 8 (reset);
        // clean, clean → 8 (1, 2); inf → 4 (reset); clean ×3 → 8.
        var scaler = new DynamicLossScaler(initialScale: 8, growthFactor: 2, backoffFactor: 0.5, growthInterval: 3);
        bool[] overflows = [false, false, false, true, false, false, true, false, false, false];
        (double Scale, int Tracker)[] expected = [(8, 1), (8, 2), (16, 0), (8, 0), (8, 1), (8, 2), (4, 0), (4, 1), (4, 2), (8, 0)];
        for (int i = 0; i < overflows.Length; i++)
        {
            scaler.Update(overflows[i]);
            Assert.Equal(expected[i], (scaler.Scale, scaler.GrowthTracker));
        }
    }

    [Fact]
    public void A_growth_past_float32_is_not_taken()
    {
        // 2^127 · 2 = 2^128 > float32's max (≈ 3.4e38 < 2^128): GradScaler keeps the scale and still resets the count.
        var scaler = new DynamicLossScaler(initialScale: Math.Pow(2, 127), growthInterval: 1);
        scaler.Update(false);
        Assert.Equal((Math.Pow(2, 127), 0), (scaler.Scale, scaler.GrowthTracker));
    }

    [Fact]
    public void The_defaults_are_torch_cuda_amp_grad_scaler_s()
    {
        // torch.cuda.amp.GradScaler(init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000).
        var scaler = new DynamicLossScaler();
        Assert.Equal((65536.0, 2.0, 0.5, 2000), (scaler.Scale, scaler.GrowthFactor, scaler.BackoffFactor, scaler.GrowthInterval));
    }

    [Fact]
    public void Unscaling_divides_every_gradient_and_detects_inf_and_nan()
    {
        var scaler = new DynamicLossScaler(initialScale: 4);
        using var loss = scaler.ScaleLoss(tensor(0.75f));
        Assert.Equal(3f, loss.item<float>());

        var a = WithGrad(2f, -6f);
        var b = WithGrad(1f);
        var unused = new Parameter(zeros(2)); // no gradient: skipped, as GradScaler skips None grads
        Assert.False(scaler.Unscale([a, unused, b]));
        Assert.Equal([0.5f, -1.5f], a.grad!.data<float>().ToArray());
        Assert.Equal([0.25f], b.grad!.data<float>().ToArray());

        Assert.True(scaler.Unscale([WithGrad(1f), WithGrad(float.PositiveInfinity, 2f)]));
        Assert.True(scaler.Unscale([WithGrad(float.NaN)]));
        Assert.True(scaler.Unscale([WithGrad(float.NegativeInfinity)]));
    }

    [Fact]
    public void Autocast_runs_a_linear_in_bfloat16_exactly_as_explicit_casts_and_leaves_the_weights_float32()
    {
        torch.manual_seed(3);
        using var linear = nn.Linear(5, 3);
        using var x = randn(4, 5);
        Tensor inside;
        using (Autocast.Begin(DeviceType.CPU, ScalarType.BFloat16))
        {
            Assert.True(Autocast.IsEnabled(DeviceType.CPU));
            inside = linear.call(x);
        }
        Assert.False(Autocast.IsEnabled(DeviceType.CPU));
        using var outside = linear.call(x);
        using var expected = nn.functional.linear(x.to_type(ScalarType.BFloat16), linear.weight!.to_type(ScalarType.BFloat16),
            linear.bias!.to_type(ScalarType.BFloat16));

        Assert.Equal(ScalarType.BFloat16, inside.dtype);
        Assert.Equal(ScalarType.Float32, outside.dtype);
        Assert.Equal(ScalarType.Float32, linear.weight!.dtype);
        Assert.True(inside.eq(expected).all().item<bool>());
        inside.Dispose();
    }

    [Fact]
    public void Bf16_training_of_a_tiny_transformer_tracks_fp32_and_keeps_float32_weights_and_checkpoints()
    {
        string vocabulary = FineTuningFixtures.WriteVocabulary(TestPaths.NewTempDirectory());
        var fp32 = FineTuningFixtures.Scratch(vocabulary) with { Training = FineTuningFixtures.Scratch(vocabulary).Training with { Epochs = 3 } };
        var bf16 = fp32 with { Training = fp32.Training with { Precision = TrainingPrecision.Bf16 } };

        double[] Losses(TransformerClassifierOptions options, string? checkpoints, out TransformerClassifier model)
        {
            model = new TransformerClassifier(options, FineTuningFixtures.Labels, seed: 2);
            var monitor = new RecordingMonitor();
            model.Fit(FineTuningFixtures.Toy(), null, new FitContext(monitor, checkpoints));
            return monitor.Summaries.Select(s => s.TrainLoss!.Value).ToArray();
        }

        double[] reference = Losses(fp32, null, out var fp32Model);
        fp32Model.Dispose();
        string checkpoints = TestPaths.NewTempDirectory();
        double[] mixed = Losses(bf16, checkpoints, out var model);
        using var _ = model;

        // 3 epochs of 3 steps at lr 1e-2: the loss falls from ≈0.69. bfloat16 keeps 8 significant bits (relative
        // rounding ≤ 2^-9 ≈ 0.2% per matmul); through a 1-layer encoder and 9 AdamW steps on float32 weights that stays
        // well under 0.01 in a mean BCE of ≈0.7 (measured: 2e-4 after epoch 1), while a broken cast path (bf16 weights updated in bf16, or a loss in
        // bf16) would differ by far more. The losses are not identical: autocast really ran.
        Assert.Equal(3, mixed.Length);
        for (int e = 0; e < 3; e++)
            Assert.True(Math.Abs(mixed[e] - reference[e]) < 0.01, $"epoch {e + 1}: bf16 {mixed[e]:F5}, fp32 {reference[e]:F5}");
        Assert.NotEqual(reference, mixed);

        Assert.All(model.Transformer!.Module.state_dict().Values, t => Assert.True(!t.is_floating_point() || t.dtype == ScalarType.Float32));
        string saved = TestPaths.NewTempDirectory();
        model.Save(saved);
        var (entries, _) = SafeTensors.ReadHeader(Path.Combine(saved, TransformerClassifier.HuggingFaceFolder, HfModelFolder.WeightsFile));
        Assert.All(entries.Values, e => Assert.Equal("F32", e.DType));
        // TorchSharp refuses to load a tensor whose dtype differs from the module's ("Mismatched tensor data types").
        string checkpoint = Directory.GetDirectories(Path.Combine(checkpoints, "phase-1"), "checkpoint-*").Single();
        model.Transformer!.Module.load(Path.Combine(checkpoint, "model.bin"));
    }

    [Theory]
    [InlineData("bert")]
    [InlineData("distilbert")]
    [InlineData("roberta")]
    [InlineData("deberta-v3")]
    [InlineData("deberta-v2")]
    public void Every_encoder_family_runs_under_bf16_autocast_close_to_the_fp32_reference(string name)
    {
        // Attention masks fill scores of the scores' dtype, which autocast makes bfloat16: float32's lowest value overflows
        // it (DistilBERT and DeBERTa threw until they used the dtype's own lowest, as Hugging Face does). Tolerance:
        // bfloat16 keeps 8 significant bits, so a logit of size x is rounded by up to x · 2^-8 at the end alone, after
        // roundings in every layer before; 5% of the logits' scale (max(1, largest |logit|): 0.12 for BERT, 5.1 for
        // DeBERTa-v3) bounds that and still catches a wrong cast (the float32 forward at 1e-4 is ModelExactnessTests' job).
        using var scope = NewDisposeScope();
        string folder = ModelExactnessTests.Folder(name);
        ITransformerClassifier model;
        if (name.StartsWith("deberta", StringComparison.Ordinal))
        {
            var deberta = new DebertaV2ForSequenceClassification(TransformerConfig.Read(Path.Combine(folder, "config.json")));
            string weights = Path.Combine(folder, "model.safetensors");
            StateDictLoader.Load(deberta, SafeTensors.Read(weights), weights);
            model = deberta;
        }
        else model = HuggingFaceClassifier.LoadClassifier(folder).Model;
        using var _ = model;
        model.Module.eval();
        var (ids, mask, types, reference) = ModelExactnessTests.Batch(name);
        using var noGrad = no_grad();
        Tensor logits;
        using (Autocast.Begin(DeviceType.CPU, ScalarType.BFloat16)) logits = model.Logits(ids, mask, types);
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        float[] expected = ModelExactnessTests.Values(reference, "logits");
        float[] actual = logits.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        double largest = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        double scale = Math.Max(1, expected.Max(Math.Abs));
        Assert.True(largest < 0.05 * scale && largest > 0, $"{name}: largest bf16 difference {largest:E2}, logit scale {scale:F2}");
    }

    [Fact]
    public void Bf16_training_of_a_bilstm_tracks_fp32()
    {
        var fp32 = new BiLstmOptions
        {
            EmbeddingDim = 8, HiddenSize = 6, MinFrequency = 1, Dropout = 0,
            Training = new NeuralTrainingOptions { Epochs = 3, BatchSize = 4, EarlyStoppingPatience = 0, Threads = 1, PosWeight = PosWeightMode.None },
        };
        double[] Losses(BiLstmOptions options)
        {
            using var model = new BiLstmClassifier(options, FineTuningFixtures.Labels, seed: 4);
            var monitor = new RecordingMonitor();
            model.Fit(FineTuningFixtures.Toy(), null, new FitContext(monitor));
            return monitor.Summaries.Select(s => s.TrainLoss!.Value).ToArray();
        }
        double[] reference = Losses(fp32), mixed = Losses(fp32 with { Training = fp32.Training with { Precision = TrainingPrecision.Bf16 } });
        // The same bound and reasoning as the transformer's above: bf16 rounding in the head's matmul, float32 everywhere else.
        for (int e = 0; e < reference.Length; e++)
            Assert.True(Math.Abs(mixed[e] - reference[e]) < 0.01, $"epoch {e + 1}: bf16 {mixed[e]:F5}, fp32 {reference[e]:F5}");
        Assert.NotEqual(reference, mixed);
    }

    [Fact]
    public void Fp16_without_cuda_is_a_config_error_naming_the_key()
    {
        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse(
            "data: { dataset: goemotions/original }\nmodel: { architecture: sentio.BiLstmClassifier.v1, training: { precision: fp16 } }", "x.yaml"));
        Assert.StartsWith("x.yaml: invalid config (1 problem): model.training.precision: fp16 needs CUDA", error.Message);
    }

    [Fact]
    public void The_trainer_refuses_fp16_for_a_module_on_the_cpu()
    {
        using var module = nn.Linear(2, 1);
        var split = new NeuralSplit(1, new bool[1, 1], indices => module.call(zeros(indices.Count, 2)));
        var trainer = new NeuralTrainer(new NeuralTrainingOptions { Precision = TrainingPrecision.Fp16, EarlyStoppingPatience = 0 }, seed: 1);
        var error = Assert.Throws<SentioException>(() => trainer.Train(module, split, null, SilentMonitor.Instance));
        Assert.StartsWith("training.precision: fp16 needs CUDA", error.Message);
    }

    [Fact]
    public void Fp32IsLeftOutOfTheSavedOptionsSoCheckpointsFromBeforeThePrecisionKeyStillMatch()
    {
        string fp32 = System.Text.Json.JsonSerializer.Serialize(new NeuralTrainingOptions(), Sentio.IO.AtomicFile.Json);
        string bf16 = System.Text.Json.JsonSerializer.Serialize(new NeuralTrainingOptions { Precision = TrainingPrecision.Bf16 }, Sentio.IO.AtomicFile.Json);
        Assert.DoesNotContain("precision", fp32, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("precision", bf16, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(TrainingPrecision.Bf16, System.Text.Json.JsonSerializer.Deserialize<NeuralTrainingOptions>(bf16, Sentio.IO.AtomicFile.Json)!.Precision);
        Assert.Equal(TrainingPrecision.Fp32, System.Text.Json.JsonSerializer.Deserialize<NeuralTrainingOptions>(fp32, Sentio.IO.AtomicFile.Json)!.Precision);
    }
}
