using Onnx;
using Sentio.IO;
using Sentio.Onnx;

namespace Sentio.Models;

/// <summary>An exported ONNX classifier folder (<see cref="OnnxClassifierFolder"/>) behind the predictor contract, so that
/// the catalog, <c>Predictor</c>, <c>predict</c>, <c>eval</c> and <c>serve</c> run it on ONNX Runtime instead of TorchSharp.
/// Scoring is <see cref="OnnxScorer"/>'s, from the torch-free Sentio.Onnx assembly.</summary>
public sealed class OnnxClassifier : IMultiLabelClassifier
{
    public const string ArchitectureName = OnnxClassifierFolder.ArchitectureName;

    private readonly OnnxScorer scorer;
    private readonly Lazy<long> parameterCount;

    private OnnxClassifier(OnnxScorer scorer)
    {
        this.scorer = scorer;
        parameterCount = new Lazy<long>(() => CountInitializerElements(scorer.Folder.ModelPath));
    }

    public string Architecture => ArchitectureName;
    public IReadOnlyList<string> LabelNames => scorer.LabelNames;
    public OnnxClassifierFolder Folder => scorer.Folder;

    /// <summary>The elements of the graph's initializers (weights, biases, embedding tables), read from the file on first use.</summary>
    public long ParameterCount => parameterCount.Value;

    /// <exception cref="SentioException">See <see cref="OnnxScorer.Load"/>.</exception>
    public static OnnxClassifier Load(string directory, OnnxScorerOptions? options = null) => new(OnnxScorer.Load(directory, options));

    public double[,] PredictProbabilities(IReadOnlyList<string> texts) => scorer.PredictProbabilities(texts);

    /// <summary>Copies every file of the folder (graph, manifest, tokenizer, thresholds) into <paramref name="directory"/>,
    /// each atomically.</summary>
    public void Save(string directory)
    {
        string source = Path.GetFullPath(scorer.Folder.Directory);
        if (Path.GetFullPath(directory) == source) return;
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            AtomicFile.Copy(file, Path.Combine(directory, Path.GetRelativePath(source, file)));
    }

    public void Dispose() => scorer.Dispose();

    private static long CountInitializerElements(string path)
    {
        using var stream = File.OpenRead(path);
        var model = ModelProto.Parser.ParseFrom(stream);
        return model.Graph.Initializer.Sum(t => t.Dims.Aggregate(1L, (product, d) => product * d));
    }
}
