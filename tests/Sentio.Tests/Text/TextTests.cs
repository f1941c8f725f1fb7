using Sentio.Text;

namespace Sentio.Tests.Text;

public class TextTests
{
    [Fact]
    public void TokenizerSplitsPunctuationAndKeepsEmojiAndPlaceholders()
    {
        var tokenizer = new WordTokenizer(lowercase: true);
        Assert.Equal(["i", "love", "it", "!", "!", "😂", "😂", "[NAME]", "don't", "go", ",", "[RELIGION]", "👍🏽", "3.5"],
            tokenizer.Tokenize("I LOVE it!! 😂😂 [NAME] Don't go, [RELIGION] 👍🏽 3.5"));
        Assert.Equal(["Hello", "[NAME]", "❤️"], new WordTokenizer(lowercase: false).Tokenize("Hello [NAME] ❤️"));
        Assert.Empty(tokenizer.Tokenize("  \t "));
    }

    private static string NewFile(string name, string content)
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void VocabularyOrdersByFrequencyThenOrdinalAndRoundTrips()
    {
        // Counts: a 3, b 2, c 2, d 1. min_frequency 2 drops d; ties b/c in ordinal order.
        // Ids: <pad> 0, <unk> 1, a 2, b 3, c 4. With max_size 4 only a and b fit.
        IReadOnlyList<string>[] texts = [["a", "b", "c"], ["a", "c", "d"], ["b", "a"]];
        var vocabulary = Vocabulary.Build(texts, minFrequency: 2, maxSize: 10);
        Assert.Equal(["<pad>", "<unk>", "a", "b", "c"], vocabulary.Tokens);
        Assert.Equal(4, vocabulary.IdOf("c"));
        Assert.Equal(Vocabulary.UnknownId, vocabulary.IdOf("d"));
        Assert.Equal(["<pad>", "<unk>", "a", "b"], Vocabulary.Build(texts, 2, 4).Tokens);

        string path = Path.Combine(TestPaths.NewTempDirectory(), "vocab.txt");
        vocabulary.Save(path);
        Assert.Equal(vocabulary.Tokens, Vocabulary.Load(path).Tokens);
    }

    [Fact]
    public void VocabularyFileWithARepeatedTokenIsRejectedWithItsLine()
    {
        string path = NewFile("vocab.txt", "<pad>\n<unk>\na\nb\na\n");
        var error = Assert.Throws<SentioException>(() => Vocabulary.Load(path));
        Assert.Equal($"{path}:5: token 'a' appears twice", error.Message);
    }

    [Fact]
    public void WordVectorsLoadWithOrWithoutHeaderAndReportCoverage()
    {
        // Vocabulary words: happy, sad, Joy, zzz. The file has happy, joy (found for Joy through lowercasing)
        // and an unrelated word; coverage 3 of 4.
        var vocabulary = Vocabulary.Build([["happy", "sad", "Joy", "zzz"]], 1, 10);
        string body = "happy 0.5 -1 2\njoy 1e-1 0 0\nother 9 9 9\nsad 3 2 1\n";
        foreach (string content in new[] { body, "4 3\n" + body })
        {
            var (rows, dimension, coverage) = WordVectors.Load(NewFile("vectors.txt", content), vocabulary);
            Assert.Equal(3, dimension);
            Assert.Equal(0.75, coverage, 12);
            Assert.Equal([0.5f, -1f, 2f], rows[vocabulary.IdOf("happy")]!);
            Assert.Equal([0.1f, 0f, 0f], rows[vocabulary.IdOf("Joy")]!);
            Assert.Null(rows[vocabulary.IdOf("zzz")]);
            Assert.Null(rows[Vocabulary.PaddingId]);
        }
    }

    [Fact]
    public void WordVectorLineWithTheWrongDimensionIsRejectedWithItsLine()
    {
        var vocabulary = Vocabulary.Build([["happy"]], 1, 10);
        string path = NewFile("vectors.txt", "happy 1 2 3\nsad 1 2\n");
        var error = Assert.Throws<SentioException>(() => WordVectors.Load(path, vocabulary));
        Assert.Equal($"{path}:2: expected a word and 3 numbers, got 2 numbers", error.Message);
    }
}
