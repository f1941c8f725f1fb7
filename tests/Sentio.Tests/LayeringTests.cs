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

    [Theory]
    [MemberData(nameof(SourceFiles))]
    public void A_file_uses_only_its_own_layer_folder_and_lower_ones(string relativePath)
    {
        string folder = relativePath.Contains(Path.DirectorySeparatorChar) ? relativePath[..relativePath.IndexOf(Path.DirectorySeparatorChar)] : "";
        int own = folder.Length == 0 ? -1 : Rank(folder);
        Assert.True(folder.Length == 0 || own >= 0, $"{relativePath}: folder '{folder}' is in no layer; add it to LayeringTests.Layers and the README");
        string code = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "Sentio", relativePath));
        var upward = Reference().Matches(code).Select(m => m.Groups[1].Value)
            .Where(used => used != folder && Rank(used) >= 0 && Rank(used) >= own)
            .Distinct().ToArray();
        Assert.True(upward.Length == 0, $"{relativePath} ({folder}) uses {string.Join(", ", upward)}, which is not below it");
    }

    [Fact]
    public void The_check_catches_an_upward_reference()
    {
        // The rule itself, on a line a Models file must never hold.
        var used = Reference().Matches("using Sentio.Runs;").Select(m => m.Groups[1].Value).Single();
        Assert.True(Rank(used) >= Rank("Models"));
    }
}
