using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Sentio.IO;
using Sentio.Onnx;

namespace Sentio.Quantization;

/// <summary>Settings of <see cref="OnnxQuantizer"/>; the defaults are quantize_dynamic's.</summary>
public sealed record OnnxQuantizerOptions
{
    /// <summary>quantize_dynamic's <c>reduce_range</c>: weights in 7 bits ([-64, 64]) instead of [-127, 127]. On x86 CPUs
    /// without VNNI, ONNX Runtime's u8×s8 kernels add pairs of products in 16 bits, which can saturate with full-range
    /// weights; the reduced range cannot. Default false, as quantize_dynamic.</summary>
    public bool ReduceRange { get; init; }
}

/// <summary>Dynamic int8 quantization of an fp32 ONNX graph, rewritten as ONNX Runtime's <c>quantize_dynamic</c>
/// (onnxruntime/python/tools/quantization, IntegerOps mode) does with <c>per_channel=True</c> and
/// <c>weight_type=QInt8</c>, so that ORT's CPU kernels (fused into DynamicQuantizeMatMul) run it:
/// <list type="bullet">
/// <item>every <c>MatMul</c> whose B is an fp32 initializer [K, N]: B becomes int8 per output column, symmetric
/// (scale = max|B[:, n]| / 127, zero point 0, q = round-half-even(B / scale) clipped to [-128, 127]); A is quantized at run
/// time by <c>DynamicQuantizeLinear</c> (uint8, one scale per tensor, shared by every MatMul reading the same A); then
/// <c>MatMulInteger</c> → <c>Cast</c> to float → <c>Mul</c> by A's scale × B's scales. <c>Gemm</c> is left in fp32, as
/// quantize_dynamic leaves it (IntegerOps has no Gemm).</item>
/// <item>every <c>Gather</c> whose table is an fp32 initializer (word, position and segment embeddings): the table becomes
/// int8, one symmetric scale for the whole table, and a <c>DequantizeLinear</c> restores the gathered rows.</item>
/// </list>
/// First, a <c>Transpose</c> of a 2-D fp32 initializer is folded into a transposed initializer (the constant folding ORT's
/// <c>quant_pre_process</c> does), so a graph that keeps weights in the state dict's [out, in] layout, as Sentio's
/// export does, has its MatMuls quantized too.
/// Initializers no node reads any more (the fp32 weights) are dropped; names follow ORT's (<c>W_quantized</c>,
/// <c>W_scale</c>, <c>W_zero_point</c>, <c>X_QuantizeLinear</c>).</summary>
public static class OnnxQuantizer
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Int8 = (int)TensorProto.Types.DataType.Int8;

    /// <summary>numpy.finfo(float32).tiny: below it ORT takes the scale as 1.</summary>
    private const float SmallestNormalFloat = 1.17549435e-38f;

    /// <summary>DynamicQuantizeLinear's first opset.</summary>
    private const long MinimumOpset = 11;

    /// <summary>Reads <paramref name="fp32Folder"/> (an exported <see cref="OnnxClassifierFolder"/> of precision fp32) and
    /// writes the int8 folder: the same files, the graph quantized, <c>model.json</c>'s precision <c>int8</c>. The folder is
    /// assembled beside the target and renamed into place, so it appears whole or not at all.</summary>
    /// <exception cref="SentioException">The source is not an fp32 ONNX folder, its graph cannot be quantized, or the
    /// target exists.</exception>
    public static void QuantizeFolder(string fp32Folder, string int8Folder, OnnxQuantizerOptions? options = null)
    {
        var source = OnnxClassifierFolder.Read(fp32Folder);
        if (source.Options.Precision != "fp32")
            throw new SentioException($"{Path.Combine(fp32Folder, OnnxClassifierFolder.ManifestFile)}: precision is '{source.Options.Precision}'; quantization needs an fp32 export");
        string target = Path.GetFullPath(int8Folder);
        if (Directory.Exists(target) || File.Exists(target)) throw new SentioException($"{int8Folder}: already exists; quantize into a new folder");
        string staging = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            string from = Path.GetFullPath(fp32Folder);
            foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(from, file);
                if (relative == OnnxClassifierFolder.ModelFile || relative == OnnxClassifierFolder.ManifestFile) continue;
                AtomicFile.Copy(file, Path.Combine(staging, relative));
            }
            QuantizeFile(source.ModelPath, Path.Combine(staging, OnnxClassifierFolder.ModelFile), options);
            OnnxClassifierFolder.WriteManifest(staging, source.Labels, source.Options with { Precision = "int8" });
            Directory.Move(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Quantizes the graph in <paramref name="fp32Path"/> into <paramref name="int8Path"/> (written atomically).</summary>
    /// <exception cref="SentioException">The file is not a readable ONNX model, keeps its weights outside the file, or has
    /// an opset below 11.</exception>
    public static void QuantizeFile(string fp32Path, string int8Path, OnnxQuantizerOptions? options = null)
    {
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(fp32Path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e) { throw new SentioException($"{fp32Path}: not an ONNX model: {e.Message}", e); }
        var quantized = Quantize(model, options, fp32Path);
        AtomicFile.Write(int8Path, stream => quantized.WriteTo(stream));
    }

    /// <summary>The quantized copy of <paramref name="model"/> (which is left unchanged).</summary>
    /// <param name="source">Names the model in errors.</param>
    public static ModelProto Quantize(ModelProto model, OnnxQuantizerOptions? options = null, string source = "model")
    {
        options ??= new OnnxQuantizerOptions();
        // quant_utils.get_qmin_qmax_for_qType, symmetric int8: [-127, 127], or [-64, 64] with reduce_range.
        int qmax = options.ReduceRange ? 64 : 127;
        var opset = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        if (opset is null || opset.Version < MinimumOpset)
            throw new SentioException($"{source}: opset {opset?.Version.ToString() ?? "none"} is below {MinimumOpset}, the first with DynamicQuantizeLinear; export with a newer opset");
        var result = model.Clone();
        var graph = result.Graph;
        if (graph.Initializer.Any(t => t.ExternalData.Count > 0))
            throw new SentioException($"{source}: weights stored in external data files are not supported; export into one file");
        FoldWeightTransposes(graph);
        var floatInitializers = graph.Initializer.Where(t => t.DataType == Float).ToDictionary(t => t.Name);
        var quantizedActivations = new Dictionary<string, (string Quantized, string Scale, string ZeroPoint)>();
        var quantizedWeights = new HashSet<string>();
        var nodes = new List<NodeProto>();
        var added = new List<TensorProto>();
        foreach (var node in graph.Node)
        {
            if (node.OpType == "MatMul" && node.Domain is "" && floatInitializers.TryGetValue(node.Input[1], out var weight) && weight.Dims.Count == 2)
            {
                if (!quantizedActivations.TryGetValue(node.Input[0], out var activation))
                {
                    string input = node.Input[0];
                    activation = ($"{input}_quantized", $"{input}_scale", $"{input}_zero_point");
                    nodes.Add(Node("DynamicQuantizeLinear", $"{input}_QuantizeLinear", [input], [activation.Quantized, activation.Scale, activation.ZeroPoint]));
                    quantizedActivations[input] = activation;
                }
                if (quantizedWeights.Add(weight.Name)) added.AddRange(QuantizePerColumn(weight, qmax));
                string name = node.Name.Length > 0 ? $"{node.Name}_quant" : "";
                string integer = $"{node.Output[0]}_output_quantized";
                string scales = name.Length > 0 ? $"{name}_scales_mul" : $"{activation.Scale}_{weight.Name}_scale_mul";
                nodes.Add(Node("MatMulInteger", name, [activation.Quantized, $"{weight.Name}_quantized", activation.ZeroPoint, $"{weight.Name}_zero_point"], [integer]));
                var cast = Node("Cast", $"{integer}_cast", [integer], [$"{integer}_cast_output"]);
                cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = Float });
                nodes.Add(cast);
                nodes.Add(Node("Mul", scales, [activation.Scale, $"{weight.Name}_scale"], [$"{scales}:0"]));
                nodes.Add(Node("Mul", name.Length > 0 ? $"{name}_output_scale_mul" : "", [$"{integer}_cast_output", $"{scales}:0"], [node.Output[0]]));
            }
            else if (node.OpType == "Gather" && node.Domain is "" && floatInitializers.TryGetValue(node.Input[0], out var table))
            {
                if (quantizedWeights.Add(table.Name)) added.AddRange(QuantizePerTensor(table));
                string gathered = $"{node.Output[0]}_quantized";
                var gather = node.Clone();
                gather.Input[0] = $"{table.Name}_quantized";
                gather.Output[0] = gathered;
                nodes.Add(gather);
                nodes.Add(Node("DequantizeLinear", $"{node.Output[0]}_DequantizeLinear", [gathered, $"{table.Name}_scale", $"{table.Name}_zero_point"], [node.Output[0]]));
            }
            else nodes.Add(node);
        }
        if (quantizedWeights.Count == 0)
            throw new SentioException($"{source}: no MatMul or Gather reads an fp32 initializer; there is nothing to quantize");
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        graph.Initializer.AddRange(added);
        var read = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var unused = graph.Initializer.Where(t => !read.Contains(t.Name)).ToList();
        foreach (var tensor in unused) graph.Initializer.Remove(tensor);
        return result;
    }

    /// <summary>Replaces each <c>Transpose</c> (perm [1, 0] or none) of a 2-D fp32 initializer by the transposed initializer
    /// <c>{name}_transposed</c>, rewiring its readers; the original goes with the other unread initializers.</summary>
    private static void FoldWeightTransposes(GraphProto graph)
    {
        var initializers = graph.Initializer.Where(t => t.DataType == Float && t.Dims.Count == 2).ToDictionary(t => t.Name);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in graph.Node.ToList())
        {
            if (node.OpType != "Transpose" || node.Domain is not "" || outputs.Contains(node.Output[0])
                || !initializers.TryGetValue(node.Input[0], out var weight)) continue;
            var perm = node.Attribute.FirstOrDefault(a => a.Name == "perm");
            if (perm is not null && !perm.Ints.SequenceEqual([1L, 0L])) continue;
            string name = $"{weight.Name}_transposed";
            if (!graph.Initializer.Any(t => t.Name == name)) graph.Initializer.Add(Transposed(weight, name));
            renamed[node.Output[0]] = name;
            graph.Node.Remove(node);
        }
        foreach (var node in graph.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (renamed.TryGetValue(node.Input[i], out string? name)) node.Input[i] = name;
    }

    private static TensorProto Transposed(TensorProto weight, string name)
    {
        float[] values = Floats(weight);
        int rows = (int)weight.Dims[0], columns = (int)weight.Dims[1];
        var transposed = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) transposed[c * rows + r] = values[r * columns + c];
        return FloatTensor(name, [columns, rows], transposed);
    }

    /// <summary>A [K, N] weight as int8 with one symmetric scale per column n (ORT's per-channel axis 1 for MatMul).</summary>
    internal static TensorProto[] QuantizePerColumn(TensorProto weight, int qmax)
    {
        float[] values = Floats(weight);
        int rows = (int)weight.Dims[0], columns = (int)weight.Dims[1];
        var scales = new float[columns];
        for (int n = 0; n < columns; n++)
        {
            float absMax = 0;
            for (int k = 0; k < rows; k++) absMax = Math.Max(absMax, Math.Abs(values[k * columns + n]));
            scales[n] = SymmetricScale(absMax, qmax);
        }
        var quantized = new sbyte[values.Length];
        for (int i = 0; i < values.Length; i++) quantized[i] = Quantize(values[i], scales[i % columns]);
        return [Int8Tensor($"{weight.Name}_quantized", [rows, columns], quantized), FloatTensor($"{weight.Name}_scale", [columns], scales),
                Int8Tensor($"{weight.Name}_zero_point", [columns], new sbyte[columns])];
    }

    /// <summary>A table as int8 with one symmetric scale for all of it.</summary>
    /// <remarks>Always the full range: quantize_dynamic passes reduce_range only for MatMul weights.</remarks>
    internal static TensorProto[] QuantizePerTensor(TensorProto table)
    {
        float[] values = Floats(table);
        float scale = SymmetricScale(values.Length == 0 ? 0 : values.Max(Math.Abs), 127);
        return [Int8Tensor($"{table.Name}_quantized", table.Dims.ToArray(), values.Select(v => Quantize(v, scale)).ToArray()),
                FloatTensor($"{table.Name}_scale", [], [scale]), Int8Tensor($"{table.Name}_zero_point", [], [0])];
    }

    /// <summary>quant_utils.compute_scale_zp, symmetric over [-qmax, qmax]: (2·absmax) / (2·qmax) in float64, stored as
    /// float32; 1 for an all-zero channel.</summary>
    internal static float SymmetricScale(float absMax, int qmax)
    {
        float scale = (float)(2.0 * absMax / (2.0 * qmax));
        return scale < SmallestNormalFloat ? 1f : scale;
    }

    /// <summary>quant_utils.quantize_nparray: float32 division, numpy's round-half-to-even, clipped to int8.</summary>
    internal static sbyte Quantize(float value, float scale) => (sbyte)Math.Clamp(MathF.Round(value / scale, MidpointRounding.ToEven), -128, 127);

    private static float[] Floats(TensorProto t) =>
        t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();

    private static TensorProto Int8Tensor(string name, long[] dims, sbyte[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = Int8, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static NodeProto Node(string opType, string name, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }
}
