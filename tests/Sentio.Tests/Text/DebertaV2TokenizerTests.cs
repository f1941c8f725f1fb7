using System.Text.Json.Nodes;
using Sentio.Text;

namespace Sentio.Tests.Text;

/// <summary>Fixtures/transformers/spm/ is a 1000-piece unigram model trained by Debian's spm_train on GoEmotions text with
/// DeBERTa-v3's special pieces ([PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3) and [MASK] 1000 in added_tokens.json;
/// spm_cases.json holds the ids of Hugging Face's DebertaV2Tokenizer over python-sentencepiece
/// (tools/make_sentencepiece_fixtures.py).</summary>
public class DebertaV2TokenizerTests
{
    private static readonly string Folder = Path.Combine(TestPaths.Fixtures, "transformers", "spm");

    private static JsonObject Cases() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "transformers", "spm_cases.json")))!.AsObject();

    private static DebertaV2Tokenizer Tokenizer(bool lower, bool punct) =>
        new(File.ReadAllBytes(Path.Combine(Folder, DebertaV2Tokenizer.ModelFile)), new Dictionary<string, int> { ["[MASK]"] = 1000 },
            new DebertaV2TokenizerOptions { DoLowerCase = lower, SplitByPunct = punct });

    public static TheoryData<bool, bool> Settings => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Ids_equal_hugging_faces_debertav2_tokenizer(bool lower, bool punct)
    {
        var tokenizer = Tokenizer(lower, punct);
        var cases = Cases()["cases"]!.AsArray().Select(c => c!.AsObject())
            .Where(c => c["do_lower_case"]!.GetValue<bool>() == lower && c["split_by_punct"]!.GetValue<bool>() == punct).ToList();
        Assert.Equal(18, cases.Count);
        Assert.All(cases, c =>
        {
            string text = c["text"]!.GetValue<string>();
            var expected = c["ids"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
            var encoded = tokenizer.Encode(text);
            Assert.True(expected.SequenceEqual(encoded.InputIds), $"'{text}': expected [{string.Join(", ", expected)}], got [{string.Join(", ", encoded.InputIds)}]");
            Assert.All(encoded.AttentionMask, m => Assert.Equal(1, m));
        });
    }

    [Fact]
    public void Truncation_drops_ids_from_the_end_of_the_text_and_keeps_cls_and_sep()
    {
        var tokenizer = Tokenizer(false, false);
        foreach (var c in Cases()["truncated"]!.AsArray())
        {
            int maxLength = c!["max_length"]!.GetValue<int>();
            Assert.Equal(c["ids"]!.AsArray().Select(v => v!.GetValue<int>()), tokenizer.Encode(c["text"]!.GetValue<string>(), maxLength).InputIds);
        }
    }

    [Fact]
    public void A_folder_gives_special_ids_from_the_model_and_added_tokens_and_saves_back()
    {
        var tokenizer = DebertaV2Tokenizer.FromFolder(Folder);
        Assert.Equal(0, tokenizer.PadTokenId);
        Assert.Equal(512, tokenizer.ModelMaxLength);
        Assert.False(tokenizer.Options.DoLowerCase);
        // [CLS]=1, [MASK]=1000 (added_tokens.json), [SEP]=2.
        Assert.Equal([1, 1000, 2], tokenizer.Encode("[MASK]").InputIds);
        var batch = tokenizer.EncodeBatch(["I love this so much!", "[MASK]"]);
        Assert.Equal([1L, 1000, 2, 0, 0, 0, 0, 0], batch.InputIds[8..]);
        Assert.Equal([1L, 1, 1, 0, 0, 0, 0, 0], batch.AttentionMask[8..]);

        string copy = TestPaths.NewTempDirectory();
        tokenizer.Save(copy);
        var reloaded = DebertaV2Tokenizer.FromFolder(copy);
        string text = "Thank you, [NAME]. That's AMAZING news!!! [MASK]";
        Assert.Equal(tokenizer.Encode(text).InputIds, reloaded.Encode(text).InputIds);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(copy, DebertaV2Tokenizer.ConfigFile)))!;
        Assert.Equal("DebertaV2Tokenizer", config["tokenizer_class"]!.GetValue<string>());
        Assert.Equal(1000, JsonNode.Parse(File.ReadAllText(Path.Combine(copy, DebertaV2Tokenizer.AddedTokensFile)))!["[MASK]"]!.GetValue<int>());
    }

    [Fact]
    public void A_missing_or_damaged_model_and_a_missing_special_token_are_one_line_errors()
    {
        string folder = TestPaths.NewTempDirectory();
        Assert.Contains("spm.model: not found", Assert.Throws<SentioException>(() => DebertaV2Tokenizer.FromFolder(folder)).Message);
        File.WriteAllBytes(Path.Combine(folder, DebertaV2Tokenizer.ModelFile), [1, 2, 3, 4, 5]);
        Assert.Contains("not a SentencePiece model", Assert.Throws<SentioException>(() => DebertaV2Tokenizer.FromFolder(folder)).Message);

        var model = File.ReadAllBytes(Path.Combine(Folder, DebertaV2Tokenizer.ModelFile));
        var error = Assert.Throws<SentioException>(() => new DebertaV2Tokenizer(model, new Dictionary<string, int>(), new DebertaV2TokenizerOptions()));
        Assert.Contains("special token '[MASK]' is neither a piece of the model nor in added_tokens.json", error.Message);
    }
}
