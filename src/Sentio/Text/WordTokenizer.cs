using System.Text.RegularExpressions;

namespace Sentio.Text;

/// <summary>Splits text into words for word-level models: runs of letters, digits and marks (with inner
/// apostrophes, so "don't" stays one word, and decimal points or commas between digits, so "3.5" does), each punctuation character on its own, each emoji (with its
/// variation selector, skin tone and zero-width-joiner sequence) as one token, and dataset placeholders
/// such as <c>[NAME]</c> and <c>[RELIGION]</c> as single tokens that lowercasing leaves alone.</summary>
public sealed partial class WordTokenizer(bool lowercase)
{
    public bool Lowercase { get; } = lowercase;

    /// <summary>The tokens of <paramref name="text"/>, in order; whitespace separates and is dropped.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        foreach (Match match in TokenPattern().Matches(text))
        {
            string token = match.Value;
            bool placeholder = match.Groups["placeholder"].Success;
            tokens.Add(Lowercase && !placeholder ? token.ToLowerInvariant() : token);
        }
        return tokens;
    }

    // An emoji: a symbol (BMP \p{So} or an astral surrogate pair) followed by variation selectors, skin-tone
    // modifiers and further ZWJ-joined symbols. Anything else that is not whitespace is one token per character.
    [GeneratedRegex(
        @"(?<placeholder>\[[A-Z]+\])" +
        @"|[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+|(?<=\p{N})[.,]\p{N}+)*" +
        @"|(?:\p{Cs}\p{Cs}|\p{So})(?:\uFE0F|\uD83C[\uDFFB-\uDFFF]|\u200D(?:\p{Cs}\p{Cs}|\p{So}))*" +
        @"|\S")]
    private static partial Regex TokenPattern();
}
