using Sentio.Checkpoints;
using Sentio.Models;
using Sentio.Text;
using static TorchSharp.torch;

namespace Sentio.Tests.Models;

/// <summary>Saved <see cref="TransformerClassifier"/> folders of every encoder family, 2 layers × hidden 32, with real
/// tokenizers (a WordPiece vocabulary of letters and pieces, the byte-level BPE and SentencePiece fixtures) and random
/// weights spread wide enough (N(0, 0.3) added to Hugging Face's initialisation) that the probabilities span (0, 1)
/// and a wrong node shows.</summary>
internal static class TinyTransformers
{
    public static readonly string[] Labels = ["anger", "joy", "sadness"];

    public const int MaxLength = 24;

    /// <summary>Texts of different lengths: emoji, accents, CJK, markup, a long one that <see cref="MaxLength"/> cuts.</summary>
    public static readonly string[] Texts =
    [
        "I love this 😍😍 so much!!! 🎉",
        "Café crème, naïve résumé — très élégant. Über straße, ñandú",
        "ok",
        "我很高兴 and 今日はとても嬉しい",
        "<b>bold</b> &amp; http://example.com/path?q=1 #hashtag @user",
        string.Join(" ", Enumerable.Repeat("This sentence keeps going, with commas; numbers like 3.14!", 6)),
        "sad",
        "Tabs\tand\nnewlines and   spaces",
    ];

    /// <summary>Writes a model folder (model.json, hf/, and head.safetensors in feature_extract mode) and returns its path.</summary>
    /// <param name="kind">bert, distilbert, roberta, or a DeBERTa-v2 variant: deberta-v2 (c2p + p2c, relative positions
    /// clipped at ±5, token types, absolute positions, a ConvLayer), deberta-v3 (log buckets, shared keys, no absolute
    /// positions or token types) or deberta-c2p (c2p only, buckets with max_relative_positions 32).</param>
    public static string ModelFolder(string kind, TransformerMode mode, TransformerPooling pooling, int seed = 7)
    {
        string folder = TestPaths.NewTempDirectory();
        string hf = Path.Combine(folder, TransformerClassifier.HuggingFaceFolder);
        string modelType = kind.StartsWith("deberta", StringComparison.Ordinal) ? "deberta-v2" : kind;
        var tokenizer = Tokenizer(modelType);
        var family = EncoderFamilies.Get(modelType, "test");
        var config = new TransformerConfig
        {
            ModelType = modelType,
            VocabSize = 1024,
            HiddenSize = 32,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            IntermediateSize = 37,
            HiddenAct = modelType == "roberta" ? "gelu_new" : "gelu",
            LayerNormEps = modelType == "roberta" ? 1e-5 : 1e-12,
            MaxPositionEmbeddings = family.PositionTableSize(MaxLength, tokenizer.PadTokenId),
            TypeVocabSize = family.TypeVocabSize,
            PadTokenId = tokenizer.PadTokenId,
            Labels = Labels,
        };
        config = kind switch
        {
            "deberta-v2" => config with
            {
                HiddenAct = "gelu_new", TypeVocabSize = 2, RelativeAttention = true, MaxRelativePositions = 5, PosAttType = ["c2p", "p2c"],
                NormRelEbd = "layer_norm", ConvKernelSize = 3, ConvAct = "gelu", LayerNormEps = 1e-7,
            },
            "deberta-v3" => config with
            {
                RelativeAttention = true, PositionBuckets = 8, PosAttType = ["p2c", "c2p"], NormRelEbd = "layer_norm", ShareAttKey = true,
                PositionBiasedInput = false, LayerNormEps = 1e-7,
            },
            "deberta-c2p" => config with
            {
                RelativeAttention = true, PositionBuckets = 6, MaxRelativePositions = 32, PosAttType = ["c2p"], PoolerHiddenAct = "tanh", LayerNormEps = 1e-7,
            },
            _ => config,
        };
        manual_seed(seed);
        using var model = family.Create(config);
        Spread(model.Module);
        HuggingFaceClassifier.Save(model, hf, tokenizer);
        if (mode == TransformerMode.FeatureExtract)
        {
            using var head = new FeatureHead(config.HiddenSize, 8, Labels.Length, 0.1);
            Spread(head);
            SafeTensors.Write(Path.Combine(folder, TransformerClassifier.HeadFile), head.state_dict());
        }
        var options = new TransformerClassifierOptions { Pretrained = hf, Mode = mode, Pooling = pooling, MaxLength = MaxLength, HeadHidden = 8 };
        ModelManifest.Write(folder, TransformerClassifier.ArchitectureName, Labels, options, seed);
        return folder;
    }

    private static ITransformerTokenizer Tokenizer(string modelType)
    {
        string fixtures = Path.Combine(TestPaths.Fixtures, "transformers");
        switch (modelType)
        {
            case "roberta": return ByteLevelBpeTokenizer.FromFolder(Path.Combine(fixtures, "bpe"));
            case "deberta-v2": return DebertaV2Tokenizer.FromFolder(Path.Combine(fixtures, "spm"));
            default:
                // [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then letters, their ## continuations, digits, punctuation, two emoji.
                string folder = TestPaths.NewTempDirectory();
                var letters = Enumerable.Range('a', 26).Select(c => ((char)c).ToString()).ToArray();
                File.WriteAllLines(Path.Combine(folder, WordPieceTokenizer.VocabFile),
                [
                    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. letters, .. letters.Select(l => "##" + l),
                    .. Enumerable.Range(0, 10).Select(d => d.ToString()), ".", ",", "!", "?", ";", "<", ">", "/", "&", "#", "@", "—", "😍", "🎉",
                ]);
                return WordPieceTokenizer.FromFolder(folder);
        }
    }

    private static void Spread(TorchSharp.torch.nn.Module module)
    {
        using var _ = no_grad();
        foreach (var parameter in module.parameters()) parameter.add_(randn_like(parameter) * 0.3);
    }
}
