using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sentio.Serving;

/// <summary>The body of <c>POST /v1/predict</c>: <c>{"texts": ["I love it!"], "threshold": 0.4}</c>.</summary>
/// <param name="Texts">The texts to label, at most <see cref="ServingOptions.MaxTextsPerRequest"/>.</param>
/// <param name="Threshold">One threshold in [0, 1] for every label, in place of the run's tuned thresholds; refused for a
/// single-label model, which uses none.</param>
public sealed record PredictRequest(IReadOnlyList<string>? Texts, double? Threshold = null);

/// <summary>One text's result: the labels chosen and every label's probability, in the model's label order.</summary>
/// <param name="Label">A single-label model's one predicted (most probable) label, also the only entry of
/// <paramref name="Labels"/>; absent for a multi-label model.</param>
public sealed record TextPrediction(IReadOnlyList<string> Labels, IReadOnlyDictionary<string, double> Probabilities, string? Label = null);

/// <summary>The answer to <c>POST /v1/predict</c>: one prediction per text, in request order.</summary>
public sealed record PredictResponse(IReadOnlyList<TextPrediction> Predictions);

/// <summary>The answer to <c>GET /v1/labels</c>: the labels in output order and the threshold each is decided at; a
/// single-label model has no thresholds and the strategy <c>argmax</c> (its most probable label).</summary>
public sealed record LabelsResponse(IReadOnlyList<string> Labels, IReadOnlyDictionary<string, double> Thresholds, string Strategy);

/// <summary>The answer to <c>/healthz</c> and <c>/readyz</c>.</summary>
public sealed record StatusResponse(string Status, string? Model = null, string? Error = null);

/// <summary>Every error answer: what is wrong, and for a bound the option that sets it (e.g. <c>max_texts_per_request</c>).</summary>
public sealed record ErrorResponse(string Error, string? Limit = null);

/// <summary>Compile-time serialization code for the API's bodies: no reflection per type at startup, less work per request.</summary>
[JsonSerializable(typeof(PredictRequest))]
[JsonSerializable(typeof(PredictResponse))]
[JsonSerializable(typeof(LabelsResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;

internal static class ApiJson
{
    /// <summary>snake_case both ways; unknown request keys are errors, so a misspelt <c>"thresold"</c> is not ignored.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = ApiJsonContext.Default,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = false,
        // An API answer, never inlined into HTML: quotes and non-ASCII letters stay readable instead of \u0022.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
