using System.Text.Json.Nodes;
using Sentio.Text;

namespace Sentio.Tests.Text;

/// <summary>Expected ids come from tools/make_transformer_fixtures.py, a python transcription of Hugging Face's
/// BasicTokenizer + WordpieceTokenizer (bert-base-uncased vocabulary) and RobertaTokenizer.bpe.</summary>
public class TokenizerTests
{
    private static readonly string MiniLm = Path.Combine(TestPaths.SharedModels, "all-MiniLM-L6-v2");
    private static readonly Lazy<WordPieceTokenizer> Bert = new(() => WordPieceTokenizer.FromFolder(MiniLm));

    public static TheoryData<int> WordPieceCaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases("wordpiece_cases.json").Count; i++) data.Add(i);
        return data;
    }

    public static TheoryData<int> BpeCaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases("bpe_cases.json").Count; i++) data.Add(i);
        return data;
    }

    private static JsonArray Cases(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "transformers", file)))!["cases"]!.AsArray();

    private static (string Text, string[] Tokens, int[] Ids) Case(string file, int index)
    {
        var c = Cases(file)[index]!;
        return (c["text"]!.GetValue<string>(), c["tokens"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(),
            c["ids"]!.AsArray().Select(t => t!.GetValue<int>()).ToArray());
    }

    [Theory]
    [MemberData(nameof(WordPieceCaseIndices))]
    public void WordPiece_matches_hugging_face_bert_tokenizer(int index)
    {
        var (text, tokens, ids) = Case("wordpiece_cases.json", index);
        Assert.Equal(tokens, Bert.Value.Tokenize(text));
        var encoded = Bert.Value.Encode(text);
        Assert.Equal([101, .. ids, 102], encoded.InputIds);
        Assert.All(encoded.AttentionMask, m => Assert.Equal(1, m));
        Assert.All(encoded.TokenTypeIds, t => Assert.Equal(0, t));
    }

    [Fact]
    public void Known_ids_from_the_bert_base_uncased_vocabulary()
    {
        // vocab.txt lines: [UNK] 101st → 100, [CLS] 101, [SEP] 102, "cafe" 7668, "[" 1031, "name" 2171, "]" 1033.
        Assert.Equal([101, 7668, 102], Bert.Value.Encode("Café").InputIds);
        Assert.Equal([101, 1031, 2171, 1033, 100, 102], Bert.Value.Encode("[NAME] 😀").InputIds);
        Assert.Equal(512, Bert.Value.ModelMaxLength);
    }

    [Fact]
    public void Truncation_keeps_the_first_pieces_and_the_closing_sep()
    {
        var (text, _, ids) = Case("wordpiece_cases.json", 12);
        Assert.True(ids.Length > 8);
        Assert.Equal([101, .. ids[..6], 102], Bert.Value.Encode(text, maxLength: 8).InputIds);
    }

    [Fact]
    public void Batch_encoding_pads_to_the_longest_with_mask_zero()
    {
        // "hello" = 7592, "world" = 2088 in bert-base-uncased.
        var batch = Bert.Value.EncodeBatch(["hello world", "hello", ""]);
        Assert.Equal((3, 4), (batch.BatchSize, batch.SequenceLength));
        Assert.Equal(new long[] { 101, 7592, 2088, 102, 101, 7592, 102, 0, 101, 102, 0, 0 }, batch.InputIds);
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0 }, batch.AttentionMask);
        var (ids, mask, types) = batch.ToTensors();
        Assert.Equal([3L, 4L], ids.shape);
        Assert.Equal(0L, types.sum().item<long>());
        Assert.Equal(9L, mask.sum().item<long>());
    }

    [Fact]
    public void Saved_tokenizer_files_read_back_the_same()
    {
        string folder = TestPaths.NewTempDirectory();
        Bert.Value.Save(folder);
        var reloaded = WordPieceTokenizer.FromFolder(folder);
        Assert.Equal(30522, reloaded.VocabularySize);
        Assert.Equal(Bert.Value.Options, reloaded.Options);
        Assert.Equal(Bert.Value.Encode("Naïve résumé 😀").InputIds, reloaded.Encode("Naïve résumé 😀").InputIds);
    }

    [Fact]
    public void Cased_vocabulary_keeps_case_and_accents()
    {
        // Ids are positions in this inline vocabulary.
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Café", "café", "cafe", "!"];
        var cased = new WordPieceTokenizer(vocab, new WordPieceOptions { DoLowerCase = false });
        Assert.Equal([2, 5, 8, 3], cased.Encode("Café!").InputIds);
        var uncased = new WordPieceTokenizer(vocab, new WordPieceOptions());
        Assert.Equal([2, 7, 8, 3], uncased.Encode("Café!").InputIds);
    }

    [Theory]
    [MemberData(nameof(BpeCaseIndices))]
    public void Byte_level_bpe_matches_roberta_tokenizer(int index)
    {
        var tokenizer = ByteLevelBpeTokenizer.FromFolder(Path.Combine(TestPaths.Fixtures, "transformers", "bpe"));
        var (text, tokens, ids) = Case("bpe_cases.json", index);
        Assert.Equal(tokens, tokenizer.Tokenize(text));
        Assert.Equal([0, .. ids, 2], tokenizer.Encode(text).InputIds);
    }

    [Fact]
    public void Bpe_batches_pad_with_id_one_and_round_trip_through_save()
    {
        var tokenizer = ByteLevelBpeTokenizer.FromFolder(Path.Combine(TestPaths.Fixtures, "transformers", "bpe"));
        // Fixture vocabulary: "Ġlower" 268, "Ġnew" 271 (bpe_cases.json case 0); <s> 0, <pad> 1, </s> 2.
        var batch = tokenizer.EncodeBatch([" lower new", " new"]);
        Assert.Equal(new long[] { 0, 268, 271, 2, 0, 271, 2, 1 }, batch.InputIds);
        Assert.Equal(1, tokenizer.PadTokenId);
        // <mask> strips the space before it (lstrip=True): " lower <mask>" → Ġlower, <mask>; its id is 4.
        Assert.Equal([0, 268, 4, 2], tokenizer.Encode(" lower <mask>").InputIds);
        string folder = TestPaths.NewTempDirectory();
        tokenizer.Save(folder);
        Assert.Equal(batch.InputIds, ByteLevelBpeTokenizer.FromFolder(folder).EncodeBatch([" lower new", " new"]).InputIds);
    }

    [Fact]
    public void Length_buckets_cover_every_index_once_and_group_similar_lengths()
    {
        int[] lengths = [5, 50, 6, 51, 7, 52, 8, 53];
        var batches = LengthBucketBatchSampler.Batches(lengths, batchSize: 2, chunkBatches: 4, seed: 3);
        Assert.Equal(Enumerable.Range(0, 8), batches.SelectMany(b => b).Order());
        // One chunk holds all 8 examples; sorted and cut into pairs, each batch's lengths differ by exactly 1.
        Assert.All(batches, b => Assert.Equal(1, Math.Abs(lengths[b[0]] - lengths[b[1]])));
        Assert.Equal(batches, LengthBucketBatchSampler.Batches(lengths, 2, 4, seed: 3));
    }
}
