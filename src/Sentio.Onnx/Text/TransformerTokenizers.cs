namespace Sentio.Text;

/// <summary>Finds the tokenizer a Hugging Face folder holds.</summary>
public static class TransformerTokenizers
{
    /// <summary>The folder's tokenizer: WordPiece from <c>vocab.txt</c>, else byte-level BPE from <c>vocab.json</c> +
    /// <c>merges.txt</c>, else SentencePiece from <c>spm.model</c> (DeBERTa-v2 / v3); settings from <c>tokenizer_config.json</c>
    /// when present.</summary>
    /// <exception cref="SentioException">No vocabulary is there.</exception>
    public static ITransformerTokenizer FromFolder(string folder)
    {
        if (File.Exists(Path.Combine(folder, WordPieceTokenizer.VocabFile))) return WordPieceTokenizer.FromFolder(folder);
        if (File.Exists(Path.Combine(folder, ByteLevelBpeTokenizer.VocabFile))) return ByteLevelBpeTokenizer.FromFolder(folder);
        if (File.Exists(Path.Combine(folder, DebertaV2Tokenizer.ModelFile))) return DebertaV2Tokenizer.FromFolder(folder);
        throw new SentioException($"{folder}: no tokenizer: neither {WordPieceTokenizer.VocabFile} (WordPiece), {ByteLevelBpeTokenizer.VocabFile} + {ByteLevelBpeTokenizer.MergesFile} (byte-level BPE) nor {DebertaV2Tokenizer.ModelFile} (SentencePiece)");
    }
}
