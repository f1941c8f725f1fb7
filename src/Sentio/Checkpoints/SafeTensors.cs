using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sentio.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Sentio.Checkpoints;

/// <summary>How tensors are stored in a safetensors file Sentio writes.</summary>
public enum SafeTensorsDType
{
    F32,
    F16,
    BF16,
}

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="DType">The stored element type: F32, F16, BF16, F64, I64 or I32.</param>
/// <param name="Shape">The tensor's dimensions.</param>
/// <param name="Begin">Byte offset of the first element, relative to the start of the data section.</param>
/// <param name="End">Byte offset one past the last element, relative to the start of the data section.</param>
public sealed record SafeTensorsEntry(string DType, long[] Shape, long Begin, long End);

/// <summary>Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length, a JSON header mapping each tensor name to its dtype, shape and byte range
/// (plus an optional <c>__metadata__</c> string map), then the raw little-endian data.
/// Floating-point tensors (F16, BF16, F64) become F32 on load; integer tensors keep their type (I64, I32).</summary>
public static class SafeTensors
{
    /// <summary>The file a sharded checkpoint's index lives in, next to its shards.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>Reads only the header: tensor entries by name and the <c>__metadata__</c> map (empty when absent).</summary>
    /// <exception cref="SentioException">The file is truncated or its header is not valid safetensors JSON.</exception>
    public static (IReadOnlyDictionary<string, SafeTensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadHeader(string path)
    {
        using var stream = OpenForRead(path);
        return ReadHeader(stream, path).Header;
    }

    /// <summary>Reads every tensor of a safetensors file. The caller owns (disposes) the returned tensors.</summary>
    /// <exception cref="SentioException">The file is missing, truncated, or holds an unsupported dtype.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = OpenForRead(path);
        var ((entries, _), dataStart) = ReadHeader(stream, path);
        long dataLength = stream.Length - dataStart;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, entry) in entries.OrderBy(e => e.Value.Begin))
        {
            if (entry.End > dataLength)
                throw new SentioException($"{path}: tensor '{name}' ends at byte {entry.End} of the data section, which holds only {dataLength} bytes (truncated file?)");
            var bytes = new byte[entry.End - entry.Begin];
            stream.Position = dataStart + entry.Begin;
            stream.ReadExactly(bytes);
            tensors[name] = Decode(bytes, entry, name, path);
        }
        return tensors;
    }

    /// <summary>Reads a sharded checkpoint through its <c>model.safetensors.index.json</c> (its <c>weight_map</c> names
    /// the shard holding each tensor). Every tensor the index names must be found in its shard.</summary>
    public static Dictionary<string, Tensor> ReadSharded(string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        string folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string shard in weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            foreach (var (name, tensor) in Read(Path.Combine(folder, shard)))
                tensors[name] = tensor;
        var absent = weightMap.Keys.Where(name => !tensors.ContainsKey(name)).ToList();
        if (absent.Count > 0)
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw new SentioException($"{indexPath}: weight_map names tensors its shards lack: {string.Join(", ", absent.Take(10))}");
        }
        return tensors;
    }

    /// <summary>The <c>weight_map</c> of a sharded index: tensor name → shard file name.</summary>
    public static IReadOnlyDictionary<string, string> ReadWeightMap(string indexPath)
    {
        JsonObject index;
        try { index = JsonNode.Parse(File.ReadAllText(indexPath))?.AsObject() ?? throw new SentioException($"{indexPath}: empty index"); }
        catch (JsonException e) { throw new SentioException($"{indexPath}: invalid JSON: {e.Message}", e); }
        catch (FileNotFoundException) { throw new SentioException($"{indexPath}: not found"); }
        if (index["weight_map"] is not JsonObject map) throw new SentioException($"{indexPath}: no 'weight_map' object");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, file) in map)
        {
            string shard = file?.GetValue<string>() ?? throw new SentioException($"{indexPath}: weight_map['{name}'] is not a file name");
            if (shard.Contains('/') || shard.Contains('\\') || shard.StartsWith('.'))
                throw new SentioException($"{indexPath}: weight_map['{name}'] = '{shard}' is not a plain file name");
            result[name] = shard;
        }
        return result;
    }

    /// <summary>Writes <paramref name="tensors"/> (float tensors stored as <paramref name="dtype"/>, I64/I32 tensors as they
    /// are) with the given <c>__metadata__</c>, atomically. Tensors are laid out as the safetensors library lays them out
    /// (by dtype: I64, F64, F32, I32, BF16, F16; then by ordinal name), so that the same tensors give the same bytes as
    /// <c>safetensors.torch.save_file</c>.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafeTensorsDType dtype = SafeTensorsDType.F32)
    {
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata) meta[key] = value;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        var encoded = tensors.Keys.Select(name => (Name: name, Encoded: Encode(tensors[name], dtype)))
            .OrderBy(t => StorageRank(t.Encoded.DType)).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
        foreach (var (name, (dtypeName, bytes)) in encoded)
        {
            header[name] = new JsonObject
            {
                ["dtype"] = dtypeName,
                ["shape"] = new JsonArray(tensors[name].shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - headerBytes.Length % 8) % 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(headerBytes.Length + padding));
            stream.Write(length);
            stream.Write(headerBytes);
            for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
            foreach (var blob in blobs) stream.Write(blob);
        });
    }

    private static FileStream OpenForRead(string path)
    {
        if (!File.Exists(path)) throw new SentioException($"{path}: not found");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private static ((IReadOnlyDictionary<string, SafeTensorsEntry>, IReadOnlyDictionary<string, string>) Header, long DataStart)
        ReadHeader(Stream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.Length < 8) throw new SentioException($"{path}: {stream.Length} bytes is too short for a safetensors file");
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > stream.Length - 8)
            throw new SentioException($"{path}: header length {headerLength} does not fit the {stream.Length}-byte file; not a safetensors file?");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try { header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw new SentioException($"{path}: empty safetensors header"); }
        catch (JsonException e) { throw new SentioException($"{path}: safetensors header is not valid JSON: {e.Message}", e); }

        var entries = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (key, value) in node?.AsObject() ?? [])
                    metadata[key] = value?.GetValue<string>() ?? "";
                continue;
            }
            try
            {
                var entry = node!.AsObject();
                var offsets = entry["data_offsets"]!.AsArray().Select(o => o!.GetValue<long>()).ToArray();
                var shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                string dtype = entry["dtype"]!.GetValue<string>();
                if (offsets.Length != 2 || offsets[0] > offsets[1])
                    throw new SentioException($"{path}: tensor '{name}' has invalid data_offsets [{string.Join(", ", offsets)}]");
                long expectedBytes = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype, name, path);
                if (offsets[1] - offsets[0] != expectedBytes)
                    throw new SentioException($"{path}: tensor '{name}' ({dtype} [{string.Join(", ", shape)}]) needs {expectedBytes} bytes but data_offsets span {offsets[1] - offsets[0]}");
                entries[name] = new SafeTensorsEntry(dtype, shape, offsets[0], offsets[1]);
            }
            catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException)
            {
                throw new SentioException($"{path}: header entry '{name}' is not {{dtype, shape, data_offsets}}: {e.Message}", e);
            }
        }
        return ((entries, metadata), 8 + (long)headerLength);
    }

    private static int ElementSize(string dtype, string name, string path) => dtype switch
    {
        "F32" or "I32" => 4,
        "F16" or "BF16" => 2,
        "F64" or "I64" => 8,
        _ => throw new SentioException($"{path}: tensor '{name}' has dtype '{dtype}'; Sentio reads F32, F16, BF16, F64, I64 and I32"),
    };

    private static Tensor Decode(byte[] bytes, SafeTensorsEntry entry, string name, string path)
    {
        int count = bytes.Length / ElementSize(entry.DType, name, path);
        switch (entry.DType)
        {
            case "I64":
            {
                var values = new long[count];
                for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 * i));
                return tensor(values, entry.Shape);
            }
            case "I32":
            {
                var values = new int[count];
                for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4 * i));
                return tensor(values, entry.Shape);
            }
        }
        if (entry.DType == "F32" && BitConverter.IsLittleEndian)
            return tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray(), entry.Shape);
        var floats = new float[count];
        for (int i = 0; i < count; i++)
        {
            floats[i] = entry.DType switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i)),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(2 * i)),
                // bfloat16 is the upper half of an IEEE single.
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)) << 16),
                _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(8 * i)),
            };
        }
        return tensor(floats, entry.Shape);
    }

    private static (string DType, byte[] Bytes) Encode(Tensor value, SafeTensorsDType dtype)
    {
        using var cpu = value.detach().cpu().contiguous();
        switch (cpu.dtype)
        {
            case ScalarType.Int64:
            {
                var longs = cpu.data<long>().ToArray();
                var bytes = new byte[8 * longs.Length];
                for (int i = 0; i < longs.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), longs[i]);
                return ("I64", bytes);
            }
            case ScalarType.Int32:
            {
                var ints = cpu.data<int>().ToArray();
                var bytes = new byte[4 * ints.Length];
                for (int i = 0; i < ints.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), ints[i]);
                return ("I32", bytes);
            }
        }
        using var single = cpu.to_type(ScalarType.Float32);
        var floats = single.data<float>().ToArray();
        switch (dtype)
        {
            case SafeTensorsDType.F16:
            {
                var bytes = new byte[2 * floats.Length];
                for (int i = 0; i < floats.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)floats[i]);
                return ("F16", bytes);
            }
            case SafeTensorsDType.BF16:
            {
                var bytes = new byte[2 * floats.Length];
                for (int i = 0; i < floats.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), ToBFloat16(floats[i]));
                return ("BF16", bytes);
            }
            default:
            {
                var bytes = new byte[4 * floats.Length];
                for (int i = 0; i < floats.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), floats[i]);
                return ("F32", bytes);
            }
        }
    }

    // The safetensors library sorts tensors by its Dtype enum, descending, before it writes them.
    private static int StorageRank(string dtype) => Array.IndexOf(StorageOrder, dtype);
    private static readonly string[] StorageOrder = ["I64", "F64", "F32", "I32", "BF16", "F16"];

    /// <summary>Round-to-nearest-even, as torch's float → bfloat16 conversion does.</summary>
    private static ushort ToBFloat16(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        bits += 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)(bits >> 16);
    }
}
