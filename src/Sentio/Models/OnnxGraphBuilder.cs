using System.Globalization;
using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace Sentio.Models;

/// <summary>Assembles an ONNX graph (opset 17, default domain only) node by node: weights become initializers under the
/// names they are looked up by, constants are shared by value, and every node output gets a unique name under the
/// current <see cref="Scope"/>.</summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The operator set written; LayerNormalization needs 17.</summary>
    public const int Opset = 17;

    /// <summary>IR version 8, the one ONNX 1.12 (which introduced opset 17) writes.</summary>
    public const long IrVersion = 8;

    private readonly GraphProto graph;
    private readonly IReadOnlyDictionary<string, Tensor> weights;
    private readonly HashSet<string> added = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> constants = new(StringComparer.Ordinal);
    private int counter;

    /// <param name="weights">Tensor name → tensor; each is written as a float32 initializer of that name the first time a
    /// node reads it.</param>
    public OnnxGraphBuilder(string name, IReadOnlyDictionary<string, Tensor> weights)
    {
        graph = new GraphProto { Name = name };
        this.weights = weights;
    }

    /// <summary>Prefix of the node and output names made next, e.g. <c>bert.encoder.layer.0.attention</c>.</summary>
    public string Scope { get; set; } = "";

    /// <summary>A graph input of <paramref name="elementType"/> with symbolic dimensions, e.g. ("batch", "sequence").</summary>
    public string Input(string name, TensorProto.Types.DataType elementType, params string[] dims)
    {
        graph.Input.Add(Value(name, elementType, dims.Select(d => new TensorShapeProto.Types.Dimension { DimParam = d })));
        return name;
    }

    /// <summary>Names <paramref name="value"/> as graph output <paramref name="name"/> (through an Identity when it has another name).</summary>
    public void Output(string value, string name, TensorProto.Types.DataType elementType, params object[] dims)
    {
        if (value != name) graph.Node.Add(NodeProto(Node("Identity"), "Identity", [value], [name], []));
        graph.Output.Add(Value(name, elementType, dims.Select(d => d is string param
            ? new TensorShapeProto.Types.Dimension { DimParam = param }
            : new TensorShapeProto.Types.Dimension { DimValue = System.Convert.ToInt64(d, CultureInfo.InvariantCulture) })));
    }

    /// <summary>The initializer for weight <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The model has no such tensor (an exporter bug, not bad input).</exception>
    public string Weight(string name)
    {
        if (added.Add(name))
        {
            if (!weights.TryGetValue(name, out var tensor)) throw new InvalidOperationException($"the model has no tensor '{name}'");
            using var values = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
            graph.Initializer.Add(FloatTensor(name, values.data<float>().ToArray(), values.shape));
        }
        return name;
    }

    /// <summary>A float32 scalar constant.</summary>
    public string Scalar(float value) => Constant(FloatTensor("", [value], []));

    /// <summary>An int64 constant of shape [values.Length] (axes, shapes, indices).</summary>
    public string Ints(params long[] values) => Constant(new TensorProto
    {
        DataType = (int)TensorProto.Types.DataType.Int64, Dims = { values.Length }, Int64Data = { values },
    });

    /// <summary>An int64 scalar constant.</summary>
    public string Int(long value) => Constant(new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64, Int64Data = { value } });

    /// <summary>Adds one node of <paramref name="op"/> and returns its (single) output's name.</summary>
    /// <param name="attributes">Attribute name → a long, float or long[] value.</param>
    public string Add(string op, string[] inputs, params (string Name, object Value)[] attributes)
    {
        string output = Node(op);
        graph.Node.Add(NodeProto(output, op, inputs, [output], attributes));
        return output;
    }

    /// <summary>The finished model.</summary>
    public ModelProto Build(string producerVersion) => new()
    {
        IrVersion = IrVersion,
        ProducerName = "sentio",
        ProducerVersion = producerVersion,
        OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } },
        Graph = graph,
    };

    private string Node(string op) => $"{(Scope.Length > 0 ? Scope + "/" : "")}{op}_{counter++}";

    private string Constant(TensorProto tensor)
    {
        string key = tensor.ToByteString().ToBase64();
        if (constants.TryGetValue(key, out string? name)) return name;
        name = $"const_{constants.Count}";
        tensor.Name = name;
        graph.Initializer.Add(tensor);
        constants[key] = name;
        return name;
    }

    private static TensorProto FloatTensor(string name, float[] values, long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw data is little-endian");
        return new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, Dims = { dims }, RawData = ByteString.CopyFrom(bytes) };
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType elementType, IEnumerable<TensorShapeProto.Types.Dimension> dims) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = new TensorShapeProto { Dim = { dims } } } },
    };

    private static NodeProto NodeProto(string name, string op, string[] inputs, string[] outputs, (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { Name = name, OpType = op, Input = { inputs }, Output = { outputs } };
        foreach (var (key, value) in attributes)
            node.Attribute.Add(value switch
            {
                long i => new AttributeProto { Name = key, Type = AttributeProto.Types.AttributeType.Int, I = i },
                float f => new AttributeProto { Name = key, Type = AttributeProto.Types.AttributeType.Float, F = f },
                long[] ints => new AttributeProto { Name = key, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ints } },
                _ => throw new ArgumentException($"attribute {key}: unsupported value type {value.GetType().Name}"),
            });
        return node;
    }
}
