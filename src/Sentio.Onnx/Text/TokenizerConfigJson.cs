using System.Text.Json.Nodes;

namespace Sentio.Text;

/// <summary>Entries of a Hugging Face <c>tokenizer_config.json</c> that every tokenizer family reads the same way.</summary>
internal static class TokenizerConfigJson
{
    /// <summary>A special token: a string, or an AddedToken object <c>{"content": ...}</c>; null when absent.</summary>
    public static string? TokenString(JsonNode? node) => node switch
    {
        JsonValue value => value.GetValue<string>(),
        JsonObject added => added["content"]?.GetValue<string>(),
        _ => null,
    };

    /// <summary><c>model_max_length</c>, or <paramref name="fallback"/> when absent; Hugging Face writes 1e30 for "no limit",
    /// read as <see cref="int.MaxValue"/>.</summary>
    public static int ModelMaxLength(JsonObject json, int fallback)
    {
        double maxLength = json["model_max_length"]?.GetValue<double>() ?? fallback;
        return maxLength >= int.MaxValue ? int.MaxValue : (int)maxLength;
    }
}
