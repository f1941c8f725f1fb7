using Sentio.Data;
using Sentio.Models;
using Sentio.Training;

namespace Sentio.Tests.Models;

/// <summary>Tiny vocabularies, datasets and model options shared by the fine-tuning tests.</summary>
internal static class FineTuningFixtures
{
    public static readonly string[] Labels = ["joy", "sadness"];

    /// <summary>A WordPiece vocabulary: ids 0-4 are [PAD] [UNK] [CLS] [SEP] [MASK], then the words in this order.</summary>
    public static string WriteVocabulary(string folder)
    {
        string[] words = ["happy", "glad", "joy", "love", "sad", "cry", "tears", "grief", "i", "am", "so", "the", "day", "is", "very"];
        string path = Path.Combine(folder, "vocab.txt");
        File.WriteAllLines(path, new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(words));
        return path;
    }

    /// <summary>A copy of a committed tools/make_transformer_fixtures.py checkpoint (vocab_size 100, labels anger, joy, sadness)
    /// with a WordPiece vocab.txt whose token n is "tokN" (n ≥ 5), so "tok5 tok6 tok7" encodes as [CLS] 5 6 7 [SEP].</summary>
    public static string CheckpointWithTokenizer(string modelType)
    {
        string folder = TestPaths.NewTempDirectory();
        foreach (string file in Directory.GetFiles(Path.Combine(TestPaths.Fixtures, "transformers", modelType)))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"),
            new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Enumerable.Range(5, 95).Select(i => $"tok{i}")));
        return folder;
    }

    /// <summary>12 texts: joyful ones use happy / glad / joy / love, sad ones sad / cry / tears / grief, two use both.</summary>
    public static MultiLabelDataset Toy()
    {
        (string Text, int[] Labels)[] rows =
        [
            ("i am so happy", [0]), ("glad day", [0]), ("joy is love", [0]), ("i love the day", [0]), ("very glad", [0]),
            ("i am so sad", [1]), ("cry the tears", [1]), ("grief is sad", [1]), ("i cry", [1]), ("very sad day", [1]),
            ("happy tears", [0, 1]), ("glad grief", [0, 1]),
        ];
        return new MultiLabelDataset(Labels, rows.Select(r => new TextExample(null, r.Text, r.Labels)).ToArray());
    }

    /// <summary>A 1-layer BERT, hidden 16, 2 heads, trained with a large learning rate for enough steps to fit <see cref="Toy"/>.</summary>
    public static TransformerClassifierOptions Scratch(string vocabulary) => new()
    {
        FromScratch = new ScratchEncoderOptions { Layers = 1, Hidden = 16, Heads = 2, Intermediate = 32, MaxPositionEmbeddings = 16, Vocab = vocabulary },
        Pooling = TransformerPooling.Mean,
        MaxLength = 16,
        Dropout = 0,
        Training = new NeuralTrainingOptions
        {
            Epochs = 40, BatchSize = 4, LearningRate = 1e-2, WarmupRatio = 0, PosWeight = PosWeightMode.None, EarlyStoppingPatience = 0, Threads = 1,
        },
    };
}
