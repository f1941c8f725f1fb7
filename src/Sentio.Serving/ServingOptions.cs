namespace Sentio.Serving;

/// <summary>Bounds and batching of the HTTP API. Every limit has a documented default; a request over a limit gets
/// a JSON error naming it (<c>{"error": "...", "limit": "max_texts_per_request"}</c>).</summary>
public sealed record ServingOptions
{
    /// <summary>Largest <c>POST /v1/predict</c> body, in bytes (413 above it). Default 1 MiB.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1 << 20;

    /// <summary>Largest <c>POST /v1/predict/csv</c> upload, in bytes (413 above it). Default 8 MiB.</summary>
    public long MaxCsvBodyBytes { get; init; } = 8 << 20;

    /// <summary>Most texts in one JSON request (400 above it). Default 256.</summary>
    public int MaxTextsPerRequest { get; init; } = 256;

    /// <summary>Most rows in one CSV upload (400 above it). Default 20,000.</summary>
    public int MaxCsvRows { get; init; } = 20_000;

    /// <summary>Most characters (UTF-16 code units) in one text (400 above it). Default 10,000.</summary>
    public int MaxCharactersPerText { get; init; } = 10_000;

    /// <summary>Prediction requests handled at once; one more gets 503 with <c>Retry-After</c>. Default 64.</summary>
    public int MaxConcurrentRequests { get; init; } = 64;

    /// <summary>The <c>Retry-After</c> seconds sent with a 503. Default 1.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Texts the micro-batcher gathers into one model call before it stops waiting for more. Default 64.
    /// A request with more texts still runs as one call.</summary>
    public int MaxBatchTexts { get; init; } = 64;

    /// <summary>How long the micro-batcher, with room left in a batch, waits for more requests to share the model call,
    /// in milliseconds; once the model has run, the wait is also at most a tenth of its last call. Default 2.</summary>
    public double MaxBatchDelayMilliseconds { get; init; } = 2;

    /// <summary>With a key, every <c>/v1/</c> request needs <c>Authorization: Bearer KEY</c> (401 without it).
    /// Default none.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Which runtime scores the model (<see cref="Inference.Predictor.Load"/>). Default: by the folder's content.</summary>
    public Inference.ModelBackend Backend { get; init; } = Inference.ModelBackend.Auto;

    /// <summary>Checks every bound; the message names each bad key (snake_case, as the CLI's options spell them).</summary>
    /// <exception cref="SentioException">A bound is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        void Positive(string key, double value)
        {
            if (!(value > 0)) problems.Add($"{key}: expected a number > 0, got {value}");
        }
        Positive("max_request_body_bytes", MaxRequestBodyBytes);
        Positive("max_csv_body_bytes", MaxCsvBodyBytes);
        Positive("max_texts_per_request", MaxTextsPerRequest);
        Positive("max_csv_rows", MaxCsvRows);
        Positive("max_characters_per_text", MaxCharactersPerText);
        Positive("max_concurrent_requests", MaxConcurrentRequests);
        Positive("retry_after_seconds", RetryAfterSeconds);
        Positive("max_batch_texts", MaxBatchTexts);
        if (!(MaxBatchDelayMilliseconds >= 0 && MaxBatchDelayMilliseconds <= 10_000))
            problems.Add($"max_batch_delay_ms: expected a number from 0 to 10000, got {MaxBatchDelayMilliseconds}");
        if (ApiKey is { } key && string.IsNullOrWhiteSpace(key)) problems.Add("api_key: empty");
        if (problems.Count > 0) throw new SentioException($"invalid serving options ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}): {string.Join("; ", problems)}");
    }
}
