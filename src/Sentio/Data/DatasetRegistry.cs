using System.Diagnostics.CodeAnalysis;

namespace Sentio.Data;

/// <summary>One file of a built-in dataset: where it lives in the dataset's folder and where it is published.</summary>
/// <param name="Name">The file name inside the dataset's folder, e.g. <c>train.tsv</c>.</param>
/// <param name="Url">The public download address.</param>
/// <param name="Size">The length in bytes.</param>
/// <param name="Sha256">The SHA-256 of the content, lowercase hex.</param>
public sealed record DatasetFile(string Name, string Url, long Size, string Sha256);

/// <summary>A built-in dataset: its files and how they map to splits.</summary>
/// <param name="Name">The registry name, which is also the folder under a data dir, e.g. <c>goemotions/original</c>.</param>
/// <param name="ValidationFile">The validation file, or null when validation is carved from train.</param>
/// <param name="LabelsFile">The label-names file (GoEmotions TSV), or null when the CSV header names the labels.</param>
public sealed record DatasetEntry(
    string Name,
    string Description,
    DataFormat Format,
    string TrainFile,
    string? ValidationFile,
    string TestFile,
    string? LabelsFile,
    IReadOnlyList<DatasetFile> Files);

/// <summary>The datasets Sentio can fetch by name, so that a quickstart works on a fresh machine. Sizes and
/// hashes were computed from unmodified copies of the published files.</summary>
public static class DatasetRegistry
{
    private const string GoogleResearch = "https://raw.githubusercontent.com/google-research/google-research/master/goemotions/data/";
    private const string Monologg = "https://raw.githubusercontent.com/monologg/GoEmotions-pytorch/master/data/";
    private const string SemEval = "https://raw.githubusercontent.com/emotion-analysis-project/SemEval2025-Task11/main/task-dataset/semeval-2025-task11-dataset/track_a/";

    private const string GoEmotionsCitation = "GoEmotions (Demszky et al., ACL 2020), Reddit comments, CC BY 4.0";

    private static readonly DatasetEntry[] Entries =
    [
        new("goemotions/original", $"{GoEmotionsCitation}; 27 emotions + neutral", DataFormat.GoemotionsTsv,
            "train.tsv", "dev.tsv", "test.tsv", "labels.txt",
        [
            new("train.tsv", GoogleResearch + "train.tsv", 3_519_053, "1c254a142be5c00e80d819b9ae1bbd36d94b2eeb8f4b1271846508d57e57d9c5"),
            new("dev.tsv", GoogleResearch + "dev.tsv", 439_059, "575489c079c9de1097062a01738f998590d6b7ead66dd1c9fd1d2ba01fd8bc62"),
            new("test.tsv", GoogleResearch + "test.tsv", 436_706, "0587b2dd8b27b97352adbfc3fb083d46005c8946657fdc2b1ca8b1cc7f1f8be4"),
            // Upstream calls it emotions.txt; the content is identical to monologg's original/labels.txt (same bytes).
            new("labels.txt", GoogleResearch + "emotions.txt", 248, "45c3ef86782d2a4d7fedcd6d8c111aa0d0e94720689bd164fac94fefb4495a89"),
        ]),
        new("goemotions/ekman", $"{GoEmotionsCitation}; Ekman's 6 emotions + neutral", DataFormat.GoemotionsTsv,
            "train.tsv", "dev.tsv", "test.tsv", "labels.txt",
        [
            new("train.tsv", Monologg + "ekman/train.tsv", 3_480_448, "bb74d10aec0975674c665205741ba9fe644cd70f682214624997f3770fd9e53f"),
            new("dev.tsv", Monologg + "ekman/dev.tsv", 434_234, "011e6579adc4d9bb2ffd908879b99e1594e7647b262cbb2e1c5c9c1c4d7d8bcc"),
            new("test.tsv", Monologg + "ekman/test.tsv", 431_950, "f9f9b91827fe134259469368b93abddc2a52e2e2a87beab661023b06cf490baa"),
            new("labels.txt", Monologg + "ekman/labels.txt", 47, "5ecd91c315ebf550ac798f06549e35a6ee1fb90866608fd640c24d520dc6aa0c"),
        ]),
        new("goemotions/group", $"{GoEmotionsCitation}; positive, negative, ambiguous, neutral", DataFormat.GoemotionsTsv,
            "train.tsv", "dev.tsv", "test.tsv", "labels.txt",
        [
            new("train.tsv", Monologg + "group/train.tsv", 3_479_404, "f6e6059e336d17ae31496857cd5883a41934df50261ef74bc3eedc2ef9f701c8"),
            new("dev.tsv", Monologg + "group/dev.tsv", 434_098, "e2d7cae65ffdc8df4d457c33695ab1f000eaef9beaadbce8276043802a3ba8ee"),
            new("test.tsv", Monologg + "group/test.tsv", 431_822, "aff79328e20b30a8177fef46a2b8f79ea6165d7e2760f4d3625d3ca9e906f89f"),
            new("labels.txt", Monologg + "group/labels.txt", 35, "0ec3143304b499eb63a1b60f8843e2b48c4fbaee6dd04f50fc8f4771f86c0e71"),
        ]),
        // The organizers' dev set (with gold labels since the March 2025 release) is the official evaluation set,
        // so it serves as test; validation is carved from train.
        new("semeval2025-track-a", "SemEval-2025 Task 11 (BRIGHTER) Track A, English; 5 emotions; CC BY 4.0", DataFormat.WideCsv,
            "train.csv", null, "dev.csv", null,
        [
            new("train.csv", SemEval + "train/eng.csv", 316_456, "234dfe6ccb34d91d36c9cae1d7f4b867e26a1abbe38e5ac6f40ae3dd5f83d608"),
            new("dev.csv", SemEval + "dev/eng.csv", 12_815, "9e123425f99228d647d9051e78e6b469c389170b975e4519d9645462be7b265f"),
        ]),
    ];

    /// <summary>Every built-in dataset name, in a stable order.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    public static IReadOnlyList<DatasetEntry> All => Entries;

    public static bool TryGet(string name, [MaybeNullWhen(false)] out DatasetEntry entry)
    {
        entry = Entries.FirstOrDefault(e => e.Name == name);
        return entry != null;
    }

    /// <exception cref="SentioException">The name is not a built-in dataset.</exception>
    public static DatasetEntry Get(string name) =>
        TryGet(name, out var entry) ? entry : throw new SentioException($"dataset: unknown dataset '{name}'; known: {string.Join(", ", Names)}");
}
