using System.Text.RegularExpressions;

namespace Sentio.Tests;

/// <summary>The library's folders form layers that import downward only (README, "Architecture"): a file may use its
/// own folder and the folders of lower layers, never one beside or above it.</summary>
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
        ["Checkpoints"],
        ["Models"],
        ["Catalog"],
        ["Runs"],
        ["Reporting", "Inference"],
    ];

    private static int Rank(string folder) => Array.FindIndex(Layers, row => row.Contains(folder));

    [GeneratedRegex(@"\bSentio\.(\w+)\b")]
    private static partial Regex Reference();

    public static TheoryData<string> SourceFiles()
    {
        var files = new TheoryData<string>();
        string root = Path.Combine(TestPaths.RepoRoot, "src", "Sentio");
        foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(root, file);
            if (!relative.StartsWith("bin", StringComparison.Ordinal) && !relative.StartsWith("obj", StringComparison.Ordinal)) files.Add(relative);
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
    public void A_file_uses_only_its_own_layer_folder_and_lower_ones(string relativePath)
    {
        string folder = relativePath.Contains(Path.DirectorySeparatorChar) ? relativePath[..relativePath.IndexOf(Path.DirectorySeparatorChar)] : "";
        Assert.True(folder.Length == 0 || Rank(folder) >= 0, $"{relativePath}: folder '{folder}' is in no layer; add it to LayeringTests.Layers and the README");
        string[] upward = UpwardReferences(folder, File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "Sentio", relativePath)));
        Assert.True(upward.Length == 0, $"{relativePath} ({folder}) uses {string.Join(", ", upward)}, which is not below it");
    }

    [Fact]
    public void Upward_and_sideways_references_are_caught_in_usings_and_qualified_names()
    {
        Assert.Equal(["Runs"], UpwardReferences("Models", "using Sentio.Data;\nusing Sentio.Runs;\nnamespace Sentio.Models;"));
        Assert.Equal(["Inference"], UpwardReferences("Reporting", "var p = Sentio.Inference.Predictor.Load(path);"));
        Assert.Empty(UpwardReferences("Runs", "using Sentio.Catalog;\nusing Sentio.IO;"));
    }
}
