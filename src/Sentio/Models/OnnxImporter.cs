using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Onnx;
using Sentio.Text;
using static TorchSharp.torch;
using Sentio.Checkpoints;

namespace Sentio.Models;

/// <summary>What <see cref="OnnxImporter.Convert"/> recovered from a graph: the config and the Hugging Face state dict.</summary>
/// <param name="Tensors">Tensor name → tensor, owned by the caller (dispose them).</param>
/// <param name="Constants">How many initializers were graph constants (shapes, axes, scalars) rather than weights.</param>
public sealed record OnnxImport(TransformerConfig Config, Dictionary<string, Tensor> Tensors, int Constants);

/// <summary>Turns an encoder exported by <c>torch.onnx.export</c> or Optimum (BERT, DistilBERT, RoBERTa) back into a
/// Hugging Face folder. Such exports keep the module names on most initializers (embeddings, LayerNorms, biases, the
/// pooler) but give the linear layers' weights anonymous names (<c>927</c>, <c>onnx::MatMul_788</c>), stored
/// transposed ([in, out]) because they feed a MatMul; each such MatMul feeds an Add whose other input is the named bias,
/// which names the weight. The head count is read from the constants of the Reshape that splits the query into heads.
/// Every initializer must be a named weight, a traced weight or a graph constant; anything else is listed in one error.</summary>
public static partial class OnnxImporter
{
    [GeneratedRegex(@"^[A-Za-z_]\w*(\.\w+)*\.(weight|bias|position_ids|token_type_ids)$")]
    private static partial Regex HfTensorName();

    [GeneratedRegex(@"(?:^|\.)(?:encoder|transformer)\.layer\.(\d+)\.")]
    private static partial Regex LayerIndex();

    /// <summary>Reads <paramref name="onnxPath"/> and writes a Hugging Face folder to <paramref name="outputFolder"/>:
    /// <c>config.json</c>, <c>model.safetensors</c> (laid out as the safetensors library writes it) and, when
    /// <paramref name="vocabPath"/> is given, the tokenizer (a WordPiece <c>vocab.txt</c>, or a byte-level BPE
    /// <c>vocab.json</c> with its <c>merges.txt</c> beside it). The folder appears whole or not at all.</summary>
    /// <exception cref="SentioException">The output folder exists and is not empty, the file is not ONNX, or the graph
    /// is not an encoder this importer understands (the message names what is missing or unaccounted for).</exception>
    public static TransformerConfig Import(string onnxPath, string outputFolder, string? vocabPath = null)
    {
        string target = Path.GetFullPath(outputFolder);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new SentioException($"{target}: the output folder exists and is not empty; remove it or choose another");
        var import = Convert(Read(onnxPath), onnxPath);
        string staging = $"{target}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(staging);
            WriteFolder(import, staging, vocabPath);
            if (Directory.Exists(target)) Directory.Delete(target);
            Directory.Move(staging, target);
            return import.Config;
        }
        finally
        {
            foreach (var tensor in import.Tensors.Values) tensor.Dispose();
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Writes the imported config, weights and tokenizer files into an existing folder.</summary>
    public static void WriteFolder(OnnxImport import, string folder, string? vocabPath)
    {
        if (vocabPath is not null) WriteTokenizer(vocabPath, folder);
        SafeTensors.Write(Path.Combine(folder, HfModelFolder.WeightsFile), import.Tensors, new Dictionary<string, string> { ["format"] = "pt" });
        import.Config.Write(Path.Combine(folder, HfModelFolder.ConfigFile));
    }

    /// <exception cref="SentioException">Missing or unreadable file, or one that is not an ONNX model (damaged, truncated, or
    /// another format: protobuf parses some such bytes without error, so a model without a graph is refused too).</exception>
    public static ModelProto Read(string onnxPath)
    {
        if (!File.Exists(onnxPath)) throw new SentioException($"{onnxPath}: not found");
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(onnxPath);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SentioException($"{onnxPath}: not an ONNX model ({OneLine(e.Message)})", e);
        }
        catch (IOException e)
        {
            throw new SentioException($"{onnxPath}: cannot be read ({OneLine(e.Message)})", e);
        }
        if (model.Graph == null)
            throw new SentioException($"{onnxPath}: not an ONNX model (no graph); is it damaged, or another format?");
        return model;
    }

    private static string OneLine(string message) => string.Join(" ", message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Recovers the config and state dict from <paramref name="model"/>; <paramref name="source"/> names it in errors.</summary>
    public static OnnxImport Convert(ModelProto model, string source)
    {
        var graph = model.Graph ?? throw new SentioException($"{source}: the model has no graph");
        var (tensors, constants) = MapWeights(graph, source);
        try
        {
            return new OnnxImport(InferConfig(graph, tensors, source), tensors, constants);
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }

    /// <summary>The graph's weights under their Hugging Face names (tensors owned by the caller), and how many
    /// initializers were graph constants.</summary>
    /// <exception cref="SentioException">Initializers that are neither weights nor constants (all listed), or two that map to one name.</exception>
    public static (Dictionary<string, Tensor> Tensors, int Constants) MapWeights(GraphProto graph, string source)
    {
        var index = new GraphIndex(graph);
        if (graph.Initializer.Any(t => t.ExternalData.Count > 0))
            throw new SentioException($"{source}: weights stored as external data are not supported; re-export into one file");
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            var unaccounted = new List<string>();
            int constants = 0;
            foreach (var initializer in graph.Initializer)
            {
                if (HfTensorName().IsMatch(initializer.Name))
                    Add(tensors, initializer.Name, ToTensor(initializer, source), source);
                else if (TraceLinearWeight(initializer, index) is { } traced)
                    Add(tensors, traced.Name, traced.Transpose ? Transposed(initializer, source) : ToTensor(initializer, source), source);
                else if (IsGraphConstant(initializer)) constants++;
                else unaccounted.Add($"{initializer.Name} {(TensorProto.Types.DataType)initializer.DataType} [{string.Join(",", initializer.Dims)}]");
            }
            if (unaccounted.Count > 0)
                throw new SentioException($"{source}: {unaccounted.Count} initializers are neither named weights, nor MatMul weights traced to a named bias, nor graph constants: {string.Join("; ", unaccounted)}");
            return (tensors, constants);
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }

    /// <summary>Initializers by name, and each value's producing node and consuming nodes.</summary>
    private sealed class GraphIndex
    {
        public readonly GraphProto Graph;
        public readonly Dictionary<string, TensorProto> Initializers;
        public readonly Dictionary<string, NodeProto> Producers = new(StringComparer.Ordinal);
        public readonly Dictionary<string, List<NodeProto>> Consumers = new(StringComparer.Ordinal);

        public GraphIndex(GraphProto graph)
        {
            Graph = graph;
            Initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
            foreach (var node in graph.Node)
            {
                foreach (string output in node.Output) Producers[output] = node;
                foreach (string input in node.Input)
                {
                    if (!Consumers.TryGetValue(input, out var list)) Consumers[input] = list = [];
                    list.Add(node);
                }
            }
        }

        public IReadOnlyList<NodeProto> UsersOf(string value) => Consumers.TryGetValue(value, out var list) ? list : [];

        /// <summary>An initializer, or the value of a Constant node.</summary>
        public TensorProto? Constant(string name) =>
            Initializers.TryGetValue(name, out var tensor) ? tensor
                : Producers.TryGetValue(name, out var node) && node.OpType == "Constant" ? node.Attribute.FirstOrDefault(a => a.Name == "value")?.T
                : null;

        public long[]? Int64Constant(string name) => Constant(name) is { DataType: (int)TensorProto.Types.DataType.Int64 } t ? Int64s(t) : null;

        public float[]? FloatConstant(string name) => Constant(name) is { DataType: (int)TensorProto.Types.DataType.Float } t ? Floats(t) : null;
    }

    private static void Add(Dictionary<string, Tensor> tensors, string name, Tensor tensor, string source)
    {
        if (!tensors.TryAdd(name, tensor))
        {
            tensor.Dispose();
            throw new SentioException($"{source}: two initializers map to '{name}'");
        }
    }

    /// <summary>An anonymous weight of a linear layer: the B input of a MatMul whose output an Add combines with a named
    /// bias (the weight is [in, out], so it is transposed), or the B input of a Gemm with a named bias (transposed unless
    /// <c>transB</c> is set).</summary>
    private static (string Name, bool Transpose)? TraceLinearWeight(TensorProto weight, GraphIndex index)
    {
        if (weight.Dims.Count != 2 || index.UsersOf(weight.Name) is not [var user]) return null;
        string? BiasWeightName(string bias) =>
            index.Initializers.ContainsKey(bias) && bias.EndsWith(".bias", StringComparison.Ordinal) ? bias[..^".bias".Length] + ".weight" : null;
        if (user.OpType == "MatMul" && user.Input.Count == 2 && user.Input[1] == weight.Name
            && index.UsersOf(user.Output[0]) is [{ OpType: "Add" } add])
        {
            string other = add.Input[0] == user.Output[0] ? add.Input[1] : add.Input[0];
            return BiasWeightName(other) is { } name ? (name, true) : null;
        }
        if (user.OpType == "Gemm" && user.Input.Count == 3 && user.Input[1] == weight.Name && BiasWeightName(user.Input[2]) is { } gemmName)
            return (gemmName, !user.Attribute.Any(a => a.Name == "transB" && a.I == 1));
        return null;
    }

    /// <summary>Shapes, axes and scalars the exporter stored as initializers: integer tensors or single values.</summary>
    private static bool IsGraphConstant(TensorProto tensor) =>
        (TensorProto.Types.DataType)tensor.DataType is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32
        || tensor.Dims.Aggregate(1L, (a, b) => a * b) <= 1;

    private static TransformerConfig InferConfig(GraphProto graph, Dictionary<string, Tensor> tensors, string source)
    {
        var index = new GraphIndex(graph);
        var ops = graph.Node.Select(n => n.OpType).ToHashSet(StringComparer.Ordinal);
        bool distil = tensors.Keys.Any(k => k.Contains(".q_lin.", StringComparison.Ordinal));
        // RoBERTa numbers positions from the attention mask (create_position_ids_from_input_ids), which exports as a CumSum.
        string modelType = distil ? "distilbert" : ops.Contains("CumSum") ? "roberta" : "bert";
        long[] Shape(string suffix)
        {
            string? key = tensors.Keys.FirstOrDefault(k => k.EndsWith(suffix, StringComparison.Ordinal));
            return key is null ? throw new SentioException($"{source}: no initializer named *{suffix}; is this a {modelType} encoder export?") : tensors[key].shape;
        }
        var word = Shape("embeddings.word_embeddings.weight");
        var positions = Shape("embeddings.position_embeddings.weight");
        var layers = tensors.Keys.Select(k => LayerIndex().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().Count();
        if (layers == 0) throw new SentioException($"{source}: no encoder layers (initializers named *.layer.N.*)");
        var intermediate = Shape(distil ? "layer.0.ffn.lin1.weight" : "layer.0.intermediate.dense.weight");
        string query = distil ? "layer.0.attention.q_lin.bias" : "layer.0.attention.self.query.bias";
        int heads = ReadHeads(index, query, word[1], source);
        string activation = ops.Contains("Erf") ? "gelu"
            : graph.Node.FirstOrDefault(n => n.OpType == "Gelu") is { } gelu ? (gelu.Attribute.Any(a => a.Name == "approximate" && a.S.ToStringUtf8() == "tanh") ? "gelu_new" : "gelu")
            // The tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) is the only cube in an encoder.
            : graph.Node.Any(n => n.OpType == "Pow" && index.FloatConstant(n.Input[1]) is [3f]) ? "gelu_new"
            : ops.Contains("Relu") ? "relu"
            : throw new SentioException($"{source}: cannot tell the activation: the graph has no Erf, Gelu, cube (tanh GELU) or Relu node");
        var config = new TransformerConfig
        {
            ModelType = modelType,
            VocabSize = (int)word[0],
            HiddenSize = (int)word[1],
            NumHiddenLayers = layers,
            NumAttentionHeads = heads,
            IntermediateSize = (int)intermediate[0],
            HiddenAct = activation,
            LayerNormEps = distil ? 1e-12 : ReadLayerNormEps(index, source),
            MaxPositionEmbeddings = (int)positions[0],
            TypeVocabSize = distil ? 0 : (int)Shape("embeddings.token_type_embeddings.weight")[0],
            PadTokenId = modelType == "roberta" ? 1 : 0,
            Architectures = [modelType switch { "distilbert" => "DistilBertModel", "roberta" => "RobertaModel", _ => "BertModel" }],
        };
        // Through text, as config.json would be read, so that the inferred config is validated like any other.
        return TransformerConfig.FromJson(System.Text.Json.Nodes.JsonNode.Parse(config.ToJson().ToJsonString())!.AsObject(), source);
    }

    /// <summary>Heads from the Reshape that splits the first layer's query into [batch, seq, heads, head size]: the shape's
    /// last two entries are constants (a Concat of constants, or one constant shape).</summary>
    private static int ReadHeads(GraphIndex index, string queryBiasSuffix, long hidden, string source)
    {
        string bias = index.Initializers.Keys.FirstOrDefault(k => k.EndsWith(queryBiasSuffix, StringComparison.Ordinal))
            ?? throw new SentioException($"{source}: no initializer named *{queryBiasSuffix}");
        var add = index.UsersOf(bias).FirstOrDefault(n => n.OpType == "Add")
            ?? throw new SentioException($"{source}: {bias} feeds no Add");
        var reshape = index.UsersOf(add.Output[0]).FirstOrDefault(n => n.OpType == "Reshape")
            ?? throw new SentioException($"{source}: the query projection ({add.Name}) feeds no Reshape into heads");
        var shape = index.Int64Constant(reshape.Input[1]);
        if (shape is null && index.Producers.TryGetValue(reshape.Input[1], out var concat) && concat.OpType == "Concat")
        {
            var parts = concat.Input.Select(index.Int64Constant).ToList();
            if (parts.Count >= 2 && parts[^1] is { } last && parts[^2] is { } before) shape = [.. before, .. last];
        }
        if (shape is not { Length: >= 2 } || shape[^2] <= 0 || shape[^1] <= 0 || shape[^2] * shape[^1] != hidden)
            throw new SentioException($"{source}: cannot read the head count from {reshape.Name}: its shape does not end in constants heads x head size = {hidden}");
        return (int)shape[^2];
    }

    /// <summary>The epsilon of the first LayerNorm: a LayerNormalization node's attribute, or the constant added to the
    /// variance before the Sqrt of a decomposed LayerNorm.</summary>
    private static double ReadLayerNormEps(GraphIndex index, string source)
    {
        var graph = index.Graph;
        if (graph.Node.FirstOrDefault(n => n.OpType == "LayerNormalization") is { } layerNorm)
            return RoundTrip(layerNorm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f);
        foreach (var sqrt in graph.Node.Where(n => n.OpType == "Sqrt"))
        {
            if (!index.Producers.TryGetValue(sqrt.Input[0], out var add) || add.OpType != "Add") continue;
            if (!add.Input.Any(i => index.Producers.TryGetValue(i, out var mean) && mean.OpType == "ReduceMean")) continue;
            foreach (string input in add.Input)
                if (index.FloatConstant(input) is [var eps]) return RoundTrip(eps);
        }
        throw new SentioException($"{source}: cannot read layer_norm_eps: no LayerNormalization node, nor Sqrt(ReduceMean(...) + constant)");
    }

    // 1e-12 stored as float32 is 9.9999999e-13; its shortest float text gives back the value the config had.
    private static double RoundTrip(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static long[] Int64s(TensorProto t) =>
        t.RawData.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : t.Int64Data.ToArray();

    private static float[] Floats(TensorProto t) =>
        t.RawData.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();

    private static Tensor ToTensor(TensorProto t, string source)
    {
        long[] dims = [.. t.Dims];
        return (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Float => tensor(Floats(t), dims),
            TensorProto.Types.DataType.Int64 => tensor(Int64s(t), dims),
            var other => throw new SentioException($"{source}: initializer {t.Name} has type {other}; Sentio imports float and int64 weights"),
        };
    }

    private static Tensor Transposed(TensorProto t, string source)
    {
        using var stored = ToTensor(t, source);
        return stored.t().contiguous();
    }

    /// <summary>Writes the tokenizer files of a WordPiece <c>vocab.txt</c> (line endings normalised to \n; lower-casing
    /// when the vocabulary has no token with an ASCII upper-case letter, as for the uncased BERT vocabularies) or copies a byte-level BPE
    /// <c>vocab.json</c> and the <c>merges.txt</c> beside it.</summary>
    private static void WriteTokenizer(string vocabPath, string folder)
    {
        if (!File.Exists(vocabPath)) throw new SentioException($"{vocabPath}: not found");
        if (vocabPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            string merges = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vocabPath))!, ByteLevelBpeTokenizer.MergesFile);
            if (!File.Exists(merges)) throw new SentioException($"{merges}: not found; a byte-level BPE vocab.json needs its merges.txt beside it");
            IO.AtomicFile.Copy(vocabPath, Path.Combine(folder, ByteLevelBpeTokenizer.VocabFile));
            IO.AtomicFile.Copy(merges, Path.Combine(folder, ByteLevelBpeTokenizer.MergesFile));
            return;
        }
        var vocabulary = File.ReadAllLines(vocabPath);
        // ASCII only: uncased vocabularies still hold a few upper-case letters of other scripts.
        bool cased = vocabulary.Any(token => !(token.StartsWith('[') && token.EndsWith(']')) && token.Any(char.IsAsciiLetterUpper));
        new WordPieceTokenizer(vocabulary, new WordPieceOptions { DoLowerCase = !cased }, vocabPath).Save(folder);
    }
}
