using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Sentio.Onnx;

namespace Sentio.Tests;

/// <summary>The library's folders form layers that import downward only (README, "Architecture"): a file may use its
/// own folder and the folders of lower layers, never one beside or above it. The lean Sentio.Onnx assembly holds the
/// bottom folders (IO, Text, Evaluation: the torch-free parts) and Onnx, and references no torch.</summary>
public partial class LayeringTests
{
    /// <summary>Bottom to top; folders in one row are siblings and may not use each other.</summary>
    private static readonly string[][] Layers =
    [
        ["IO"],
        ["Configuration"],
        ["Data"],
        ["Text"],
        ["Training"],
        ["Evaluation"],
        ["Onnx"],
        ["Checkpoints", "Quantization"],
        ["Models"],
        ["Catalog"],
        ["Runs"],
        ["Reporting", "Inference"],
    ];

    private static int Rank(string folder) => Array.FindIndex(Layers, row => row.Contains(folder));

    [GeneratedRegex(@"\bSentio\.(\w+)\b")]
    private static partial Regex Reference();

    /// <summary>The projects whose folders are layers: the library and the lean assembly beneath it.</summary>
    private static readonly string[] Projects = ["Sentio", "Sentio.Onnx"];

    /// <summary>Paths relative to src/, e.g. <c>Sentio/Models/Bert.cs</c>.</summary>
    public static TheoryData<string> SourceFiles()
    {
        var files = new TheoryData<string>();
        foreach (string project in Projects)
        {
            string root = Path.Combine(TestPaths.RepoRoot, "src", project);
            foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                string relative = Path.GetRelativePath(root, file);
                if (!relative.StartsWith("bin", StringComparison.Ordinal) && !relative.StartsWith("obj", StringComparison.Ordinal))
                    files.Add(Path.Combine(project, relative));
            }
        }
        return files;
    }

    /// <summary>The Sentio folders <paramref name="code"/> of a file in <paramref name="folder"/> names that are not below it.</summary>
    private static string[] UpwardReferences(string folder, string code)
    {
        int own = folder.Length == 0 ? -1 : Rank(folder);
        return Reference().Matches(code).Select(m => m.Groups[1].Value)
            .Where(used => used != folder && Rank(used) >= 0 && Rank(used) >= own)
            .Distinct().ToArray();
    }

    [Theory]
    [MemberData(nameof(SourceFiles))]
    public void A_file_uses_only_its_own_layer_folder_and_lower_ones(string pathInSrc)
    {
        string relativePath = pathInSrc[(pathInSrc.IndexOf(Path.DirectorySeparatorChar) + 1)..];
        string folder = relativePath.Contains(Path.DirectorySeparatorChar) ? relativePath[..relativePath.IndexOf(Path.DirectorySeparatorChar)] : "";
        Assert.True(folder.Length == 0 || Rank(folder) >= 0, $"{pathInSrc}: folder '{folder}' is in no layer; add it to LayeringTests.Layers and the README");
        string[] upward = UpwardReferences(folder, File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", pathInSrc)));
        Assert.True(upward.Length == 0, $"{relativePath} ({folder}) uses {string.Join(", ", upward)}, which is not below it");
    }

    [Fact]
    public void Upward_and_sideways_references_are_caught_in_usings_and_qualified_names()
    {
        Assert.Equal(["Runs"], UpwardReferences("Models", "using Sentio.Data;\nusing Sentio.Runs;\nnamespace Sentio.Models;"));
        Assert.Equal(["Inference"], UpwardReferences("Reporting", "var p = Sentio.Inference.Predictor.Load(path);"));
        Assert.Empty(UpwardReferences("Runs", "using Sentio.Catalog;\nusing Sentio.IO;"));
    }

    private static readonly string[] HeavyPackages = ["TorchSharp", "libtorch", "ScottPlot", "SkiaSharp", "MathNet", "Parquet", "Sep", "YamlDotNet"];

    private static bool IsHeavy(string name) => HeavyPackages.Any(h => name.StartsWith(h, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void The_lean_assembly_references_only_onnx_runtime_and_the_tokenizers()
    {
        var project = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "src", "Sentio.Onnx", "Sentio.Onnx.csproj"));
        Assert.Equal(["Microsoft.ML.OnnxRuntime", "Microsoft.ML.Tokenizers"],
            project.Descendants("PackageReference").Select(p => (string)p.Attribute("Include")!).Order(StringComparer.Ordinal));
        Assert.Empty(project.Descendants("ProjectReference"));
    }

    [Fact]
    public void Nothing_the_lean_assembly_restores_or_loads_is_torch_or_plotting()
    {
        // Transitive packages too: the restore graph of Sentio.Onnx, as dotnet restore resolved it.
        var assets = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "Sentio.Onnx", "obj", "project.assets.json")))!;
        var packages = assets["libraries"]!.AsObject().Select(p => p.Key.Split('/')[0]).ToArray();
        Assert.Contains("Microsoft.ML.OnnxRuntime", packages);
        Assert.DoesNotContain(packages, IsHeavy);
        var references = typeof(OnnxScorer).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.Contains("Microsoft.ML.OnnxRuntime", references);
        Assert.DoesNotContain(references, r => IsHeavy(r) || r.StartsWith("Sentio", StringComparison.Ordinal));
    }
}
