using System.Text.Json.Nodes;
using Sentio.Checkpoints;
using Sentio.Tests.Models;
using static TorchSharp.torch;
using Sentio.Models;

namespace Sentio.Tests.Checkpoints;

/// <summary>pytorch_model.bin files written by Debian's torch 1.13 (tools/make_pickle_fixtures.py).</summary>
public class PickleWeightsTests
{
    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, "transformers", name);

    [Fact]
    public void Tensors_read_back_with_the_values_torch_reads()
    {
        var expected = JsonNode.Parse(File.ReadAllText(Fixture("pickle_dtypes.json")))!.AsObject();
        var tensors = PickleWeights.Read(Fixture("pickle_dtypes.bin"));
        try
        {
            Assert.Equal(expected.Select(p => p.Key).Order(StringComparer.Ordinal), tensors.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, entry) in expected)
            {
                var tensor = tensors[name];
                Assert.Equal(entry!["shape"]!.AsArray().Select(d => (long)d!), tensor.shape);
                var values = entry["values"]!.AsArray().Select(v => (double)v!).ToArray();
                if (name == "i64")
                {
                    Assert.Equal(ScalarType.Int64, tensor.dtype);
                    Assert.Equal(values.Select(v => (long)v), tensor.data<long>().ToArray());
                }
                else
                {
                    // Every float dtype becomes F32; each value is what torch reads, rounded to float32.
                    Assert.Equal(ScalarType.Float32, tensor.dtype);
                    Assert.Equal(values.Select(v => (float)v), tensor.data<float>().ToArray());
                }
            }
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    [Fact]
    public void A_bin_folder_loads_the_same_weights_as_its_safetensors_twin()
    {
        var (fromBin, binReport) = HuggingFaceClassifier.LoadClassifier(Fixture("bert-bin"));
        var (fromSafetensors, _) = HuggingFaceClassifier.LoadClassifier(ModelExactnessTests.Folder("bert"));
        using var _bin = fromBin;
        using var _safetensors = fromSafetensors;
        Assert.Empty(binReport.Missing);
        var expected = fromSafetensors.Module.state_dict();
        foreach (var (name, tensor) in fromBin.Module.state_dict())
            Assert.True(tensor.allclose(expected[name], rtol: 0, atol: 0), name);
    }
}
