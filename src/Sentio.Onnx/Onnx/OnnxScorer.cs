using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Sentio.Text;

namespace Sentio.Onnx;

/// <summary>How an <see cref="OnnxScorer"/> runs its session.</summary>
public sealed record OnnxScorerOptions
{
    /// <summary>Threads one session's operators use; 0 lets ONNX Runtime choose (one per physical core). Set it per service
    /// when several sessions share a machine.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Texts per session run; each batch is padded only to its own longest text. Default 8: with texts sorted by
    /// length, small runs waste the least on padding, and ONNX Runtime's per-run cost is small (the fine-tuned MiniLM int8
    /// on 2 cores, GoEmotions texts: 250-354 sentences/s at 8, 271-280 at 32; in calls of 16 unsorted texts, as a server
    /// gets them, 209-224 against 161-166).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Batches texts of similar token length together (results keep the input order), so padding wastes little.</summary>
    public bool SortByLength { get; init; } = true;

    /// <summary>Graph rewrites ONNX Runtime applies when the session opens: all of them (node fusions such as attention and
    /// layer norm, and layout changes) by default.</summary>
    public GraphOptimizationLevel GraphOptimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Whether idle intra-op threads spin waiting for work (ONNX Runtime's default, lowest latency on a quiet
    /// machine) or sleep, which leaves the cores to other processes on a busy one.</summary>
    public bool AllowSpinning { get; init; } = true;
}

/// <summary>Runs an exported ONNX classifier (<see cref="OnnxClassifierFolder"/>) on ONNX Runtime: texts are tokenized with
/// the folder's tokenizer (truncated at <c>max_length</c>), padded per batch, and scored by one
/// <see cref="InferenceSession"/>. Thread-safe: concurrent <see cref="PredictProbabilities"/> calls share the session.</summary>
public sealed class OnnxScorer : IDisposable
{
    private const string ProbabilitiesOutput = "probabilities";
    private static readonly string[] Outputs = ["logits", ProbabilitiesOutput];

    private readonly InferenceSession session;
    private readonly ITransformerTokenizer tokenizer;
    private readonly string[] inputNames;
    private readonly string[] outputNames = [ProbabilitiesOutput];

    private OnnxScorer(OnnxClassifierFolder folder, ITransformerTokenizer tokenizer, InferenceSession session, OnnxScorerOptions options)
    {
        Folder = folder;
        Options = options;
        this.tokenizer = tokenizer;
        this.session = session;
        inputNames = folder.Options.Inputs.ToArray();
    }

    public OnnxClassifierFolder Folder { get; }
    public OnnxScorerOptions Options { get; }
    public IReadOnlyList<string> LabelNames => Folder.Labels;
    public ITransformerTokenizer Tokenizer => tokenizer;

    /// <summary>Reads the folder, its tokenizer and its graph, and checks the graph is the classifier the manifest describes.</summary>
    /// <exception cref="SentioException">An invalid folder; a graph ONNX Runtime cannot load (damaged, not ONNX); or one whose
    /// inputs or outputs are not the classifier contract's. The message names the file.</exception>
    public static OnnxScorer Load(string directory, OnnxScorerOptions? options = null)
    {
        options ??= new OnnxScorerOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var folder = OnnxClassifierFolder.Read(directory);
        var tokenizer = TransformerTokenizers.FromFolder(directory);
        var session = OpenSession(folder.ModelPath, options);
        try
        {
            CheckContract(session, folder);
            return new OnnxScorer(folder, tokenizer, session, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Per-label probabilities, the graph's <c>probabilities</c> output: [texts] → [texts, labels].</summary>
    public double[,] PredictProbabilities(IReadOnlyList<string> texts)
    {
        var encoded = texts.Select(t => tokenizer.Encode(t, Folder.Options.MaxLength)).ToArray();
        int[] order = Enumerable.Range(0, texts.Count).ToArray();
        if (Options.SortByLength) order = order.OrderBy(i => encoded[i].Length).ToArray();
        int labels = LabelNames.Count;
        var result = new double[texts.Count, labels];
        using var runOptions = new RunOptions();
        foreach (int[] rows in order.Chunk(Options.BatchSize))
        {
            var batch = EncodedBatch.Pad(rows.Select(i => encoded[i]).ToArray(), tokenizer.PadTokenId);
            long[] shape = [batch.BatchSize, batch.SequenceLength];
            using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape);
            using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape);
            using var types = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds, shape);
            OrtValue[] inputs = inputNames.Length == 3 ? [ids, mask, types] : [ids, mask];
            using var outputs = session.Run(runOptions, inputNames, inputs, outputNames);
            var probabilities = outputs[0].GetTensorDataAsSpan<float>();
            for (int r = 0; r < rows.Length; r++)
                for (int j = 0; j < labels; j++)
                    result[rows[r], j] = probabilities[r * labels + j];
        }
        return result;
    }

    public void Dispose() => session.Dispose();

    private static InferenceSession OpenSession(string path, OnnxScorerOptions options)
    {
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            // One request runs one graph: operators in sequence, each spread over the intra-op threads.
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = options.GraphOptimization,
        };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        try { return new InferenceSession(path, sessionOptions); }
        catch (OnnxRuntimeException e)
        {
            throw new SentioException($"{path}: ONNX Runtime cannot load the graph: {FirstLine(e.Message)}", e);
        }
    }

    /// <summary>The graph takes exactly the manifest's inputs (int64 [batch, sequence]) and yields float32 <c>logits</c>
    /// and <c>probabilities</c> [batch, labels].</summary>
    private static void CheckContract(InferenceSession session, OnnxClassifierFolder folder)
    {
        string path = folder.ModelPath;
        var expected = folder.Options.Inputs;
        var actual = session.InputMetadata.Keys.ToArray();
        if (!actual.Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal)))
            throw new SentioException($"{path}: not a Sentio classifier graph: inputs are [{string.Join(", ", actual)}], {OnnxClassifierFolder.ManifestFile} lists [{string.Join(", ", expected)}]");
        foreach (var (name, input) in session.InputMetadata)
            if (!input.IsTensor || input.ElementDataType != TensorElementType.Int64 || input.Dimensions.Length != 2)
                throw new SentioException($"{path}: not a Sentio classifier graph: input '{name}' is {Describe(input)}, expected int64 [batch, sequence]");
        foreach (string name in Outputs)
        {
            if (!session.OutputMetadata.TryGetValue(name, out var output))
                throw new SentioException($"{path}: not a Sentio classifier graph: no output '{name}' (outputs: {string.Join(", ", session.OutputMetadata.Keys)})");
            bool labelsMatch = output.Dimensions.Length == 2 && (output.Dimensions[1] < 0 || output.Dimensions[1] == folder.Labels.Count);
            if (!output.IsTensor || output.ElementDataType != TensorElementType.Float || !labelsMatch)
                throw new SentioException($"{path}: not a Sentio classifier graph: output '{name}' is {Describe(output)}, expected float32 [batch, {folder.Labels.Count}] for the {folder.Labels.Count} labels in {OnnxClassifierFolder.ManifestFile}");
        }
    }

    private static string Describe(NodeMetadata node) =>
        node.IsTensor ? $"{node.ElementDataType.ToString().ToLowerInvariant()} [{string.Join(", ", node.Dimensions.Select(d => d < 0 ? "?" : d.ToString()))}]" : node.OnnxValueType.ToString();

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
