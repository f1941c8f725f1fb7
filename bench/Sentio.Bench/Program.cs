using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sentio.Data;
using Sentio.Evaluation;
using Sentio.Models;
using Sentio.Training;

// Benchmarks that print Sentio's figures beside a reference peer's, measured in the same run.
//   dotnet run -c Release --project bench/Sentio.Bench -- linear [--c 1] [--threads 2] [--data-dir ../shared/data]
// linear: the n-gram logistic-regression model vs scikit-learn (tools/linear_reference.py, Debian's
// /usr/bin/python3) on GoEmotions original: same features, same C, thresholds tuned per label on dev.
//   dotnet run -c Release --project bench/Sentio.Bench -- transformer [--threads 2] [--batch 32] [--seq 64]
//       [--warmup-steps 2] [--train-steps 10] [--inference-batches 10] [--memory-steps 300] [--memory-batch 8]
// transformer: BERT (MiniLM shape) train-step tokens/s and inference sentences/s vs PyTorch
// (tools/transformer_bench_reference.py), and resident memory over many training steps (TransformerBench.cs).
//   dotnet run -c Release --project bench/Sentio.Bench -- finetune [--model all-MiniLM-L6-v2] [--threads 2] [--batch 32]
//       [--steps 20] [--warmup-steps 2] [--data-dir ../shared/data]
// finetune: GoEmotions fine-tuning real tokens/s of TransformerClassifier.Fit vs a plain PyTorch loop on the same
// weights and ids, padded to 128 and dynamically padded (tools/finetune_bench_reference.py; FineTuneBench.cs).
//   dotnet run -c Release --project bench/Sentio.Bench -- serve --model-path RUN [--texts 1000] [--seconds 10] [--rounds 3]
//       [--clients 1,4,16] [--texts-per-request 1] [--threads 1] [--warmup-seconds 10] [--max-batch-delay-ms 2]
// serve: offline batch texts/s beside served texts/s at 1, 4 and 16 loopback clients, p50/p99, errors (ServeBench.cs).
//   dotnet run -c Release --project bench/Sentio.Bench -- onnx --model ONNX_DIR --torch-model SENTIO_DIR [--threads 2] [--batch 32]
//       [--texts 512] [--latency-texts 50] [--sort 1]
// onnx: TorchSharp fp32, ONNX Runtime fp32 and int8, PyTorch fp32 (tools/onnx_bench_reference.py): sentences/s and
// batch-1 latency on GoEmotions test texts (OnnxBench.cs).
//   dotnet run -c Release --project bench/Sentio.Bench -- precision [--texts 256] [--batch 16] [--epochs 2] [--rounds 2]
//       [--layers 2] [--hidden 256] [--threads 1]
// precision: training.precision fp32 vs bf16 on the CPU, steps/s and final loss side by side (PrecisionBench.cs).
//   dotnet run -c Release --project bench/Sentio.Bench -- reading [--file /tmp/go_emotions_dataset.csv] [--repeats 5]
// reading: the old hand-written CSV parser vs Sep on the Kaggle GoEmotions layout (ReadingBench.cs).
var options = ParseOptions(args.Skip(1).ToArray());
string benchmark = args.FirstOrDefault() ?? "linear";
string repoRoot = FindRepoRoot();
if (benchmark == "transformer") return Sentio.Bench.TransformerBench.Run(options, repoRoot);
if (benchmark == "finetune") return Sentio.Bench.FineTuneBench.Run(options, repoRoot);
if (benchmark == "onnx") return Sentio.Bench.OnnxBench.Run(options, repoRoot);
if (benchmark == "serve") return Sentio.Bench.ServeBench.Run(options, repoRoot);
if (benchmark == "reading") return Sentio.Bench.ReadingBench.Run(options);
if (benchmark == "precision") return Sentio.Bench.PrecisionBench.Run(options, repoRoot);
if (benchmark != "linear")
{
    Console.Error.WriteLine($"unknown benchmark '{benchmark}'; available: linear, transformer, finetune, onnx, serve, precision, reading");
    return 2;
}
string dataDir = Path.GetFullPath(options.GetValueOrDefault("data-dir") ?? Path.Combine(repoRoot, "..", "shared", "data"));
double c = double.Parse(options.GetValueOrDefault("c") ?? "1", CultureInfo.InvariantCulture);
int threads = int.Parse(options.GetValueOrDefault("threads") ?? "2", CultureInfo.InvariantCulture);

var splits = DatasetLoader.Load(new DataOptions { Dataset = "goemotions/original" }, repoRoot, seed: 13, dataDir);
Console.WriteLine($"GoEmotions original: {splits.Train.Count:N0} train / {splits.Validation.Count:N0} dev / {splits.Test.Count:N0} test, {splits.LabelNames.Count} labels; C={c}, {threads} threads");

var clock = Stopwatch.StartNew();
using var model = new NGramLinear(new NGramLinearOptions { C = c, Threads = threads }, splits.LabelNames, seed: 13);
model.Fit(splits.Train, splits.Validation, FitContext.Silent);
double sentioFit = clock.Elapsed.TotalSeconds;
var thresholds = ThresholdTuner.Tune(model.PredictProbabilities(splits.Validation.Texts), splits.Validation.LabelMatrix(), splits.LabelNames)
    .WithStrategy(ThresholdStrategy.PerLabel);
var predicted = thresholds.Apply(model.PredictProbabilities(splits.Test.Texts));
var truth = splits.Test.LabelMatrix();
var sentio = (Macro: MultiLabelMetrics.F1(truth, predicted, Average.Macro), Micro: MultiLabelMetrics.F1(truth, predicted, Average.Micro), Fit: sentioFit);

var python = Process.Start(new ProcessStartInfo("/usr/bin/python3",
    [Path.Combine(repoRoot, "tools", "linear_reference.py"), Path.Combine(dataDir, "goemotions", "original"), "--c", c.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture)])
{ RedirectStandardOutput = true })!;
string line = python.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
python.WaitForExit();
if (python.ExitCode != 0)
{
    Console.Error.WriteLine("the scikit-learn reference failed (needs Debian's python3-sklearn: apt-get install python3-sklearn)");
    return 1;
}
var reference = JsonDocument.Parse(line).RootElement;
double referenceFit = reference.GetProperty("fit_seconds").GetDouble();

Console.WriteLine();
Console.WriteLine($"{"",-14} {"macro-F1",9} {"micro-F1",9} {"fit s",8}");
Console.WriteLine($"{"Sentio",-14} {sentio.Macro,9:F4} {sentio.Micro,9:F4} {sentio.Fit,8:F1}");
Console.WriteLine($"{"scikit-learn",-14} {reference.GetProperty("macro_f1").GetDouble(),9:F4} {reference.GetProperty("micro_f1").GetDouble(),9:F4} {referenceFit,8:F1}");
Console.WriteLine($"fit time ratio scikit-learn / Sentio: {referenceFit / sentio.Fit:F1}x (fit = featurize train + solve all labels)");
return 0;

static Dictionary<string, string> ParseOptions(string[] args)
{
    var parsed = new Dictionary<string, string>();
    for (int i = 0; i + 1 < args.Length; i += 2) parsed[args[i].TrimStart('-')] = args[i + 1];
    return parsed;
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Sentio.slnx"))) return dir.FullName;
    throw new InvalidOperationException("Sentio.slnx not found");
}
