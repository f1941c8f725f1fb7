namespace Sentio.Text;

/// <summary>One encoded text: ids with the model's special tokens, all of length <c>seq</c>.</summary>
/// <param name="InputIds">[seq] token ids, e.g. [CLS] … [SEP] or &lt;s&gt; … &lt;/s&gt;.</param>
/// <param name="AttentionMask">[seq] 1 for every token (no padding in a single encoding).</param>
/// <param name="TokenTypeIds">[seq] segment ids, all 0 for a single text.</param>
public sealed record EncodedText(int[] InputIds, int[] AttentionMask, int[] TokenTypeIds)
{
    public int Length => InputIds.Length;

    /// <summary>One text between the model's start and end tokens (<c>[CLS] … [SEP]</c>, <c>&lt;s&gt; … &lt;/s&gt;</c>), its
    /// token ids cut so that the whole fits <paramref name="maxLength"/> (≥ 2).</summary>
    public static EncodedText Single(int startId, IEnumerable<int> tokenIds, int endId, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        int[] inputIds = [startId, .. tokenIds.Take(maxLength - 2), endId];
        var mask = new int[inputIds.Length];
        Array.Fill(mask, 1);
        return new EncodedText(inputIds, mask, new int[inputIds.Length]);
    }
}

/// <summary>A batch padded on the right to its longest member. Arrays are row-major [batch, seq].</summary>
public sealed record EncodedBatch(int BatchSize, int SequenceLength, long[] InputIds, long[] AttentionMask, long[] TokenTypeIds)
{
    /// <summary>Pads <paramref name="items"/> to the longest with <paramref name="padId"/> (mask 0, token type 0).</summary>
    public static EncodedBatch Pad(IReadOnlyList<EncodedText> items, int padId)
    {
        int length = items.Count == 0 ? 0 : items.Max(i => i.Length);
        var ids = new long[items.Count * length];
        var mask = new long[items.Count * length];
        var types = new long[items.Count * length];
        Array.Fill(ids, padId);
        for (int row = 0; row < items.Count; row++)
        {
            for (int i = 0; i < items[row].Length; i++)
            {
                ids[row * length + i] = items[row].InputIds[i];
                mask[row * length + i] = items[row].AttentionMask[i];
                types[row * length + i] = items[row].TokenTypeIds[i];
            }
        }
        return new EncodedBatch(items.Count, length, ids, mask, types);
    }
}

/// <summary>A tokenizer that turns texts into a transformer's inputs.</summary>
public interface ITransformerTokenizer
{
    /// <summary>The id padding positions get (0 for BERT, 1 for RoBERTa).</summary>
    int PadTokenId { get; }

    /// <summary>The longest encoding (special tokens included) when no max length is given: tokenizer_config.json's model_max_length.</summary>
    int ModelMaxLength { get; }

    /// <summary>Encodes one text with special tokens, truncated to <paramref name="maxLength"/> ids (default
    /// <see cref="ModelMaxLength"/>) by dropping tokens from the end of the text.</summary>
    EncodedText Encode(string text, int? maxLength = null);

    /// <summary>Encodes <paramref name="texts"/> and pads them to the longest: [texts] → [batch, seq].</summary>
    EncodedBatch EncodeBatch(IReadOnlyList<string> texts, int? maxLength = null);

    /// <summary>Writes the tokenizer's Hugging Face files into <paramref name="folder"/>.</summary>
    void Save(string folder);
}
