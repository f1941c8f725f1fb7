using Sentio;
using Sentio.Onnx;

// Labels texts with an exported ONNX classifier folder:  Sentio.Onnx.Sample DIR "text" ["text" ...]
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Sentio.Onnx.Sample DIR TEXT [TEXT ...]   (DIR: a folder written by 'sentio export --format onnx')");
    return 2;
}
try
{
    using var predictor = OnnxPredictor.Load(args[0]);
    foreach (var prediction in predictor.Predict(args[1..]))
        Console.WriteLine($"{string.Join(", ", prediction.Labels)}\t{prediction.Text}");
    return 0;
}
catch (SentioException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
