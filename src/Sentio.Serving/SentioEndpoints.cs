using Sentio.Inference;
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Sentio.Data;
using Sentio.Evaluation;

namespace Sentio.Serving;

/// <summary>Hosts a Sentio model in any ASP.NET Core app:
/// <code>builder.Services.AddSentioPredictor("runs/20261124-081500-ngram-linear");
/// var app = builder.Build();
/// app.MapSentio();</code>
/// Endpoints: <c>POST /v1/predict</c>, <c>POST /v1/predict/csv</c>, <c>GET /v1/labels</c>, <c>/healthz</c>, <c>/readyz</c>,
/// <c>/metrics</c>, <c>/openapi/v1.json</c> and the web page at <c>/</c>.</summary>
public static class SentioEndpoints
{
    /// <summary>Registers the model at <paramref name="modelPath"/> (a run directory or a model folder, as
    /// <see cref="Inference.Predictor.Load"/> reads), loaded in the background when the host starts, behind a
    /// micro-batcher bounded by <paramref name="options"/>.</summary>
    /// <exception cref="SentioException">An option is out of range.</exception>
    public static IServiceCollection AddSentioPredictor(this IServiceCollection services, string modelPath, ServingOptions? options = null)
    {
        options ??= new ServingOptions();
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<ServingMetrics>();
        services.AddSingleton(_ => new PredictorConcurrency(new ConcurrencyLimiter(
            new ConcurrencyLimiterOptions { PermitLimit = options.MaxConcurrentRequests, QueueLimit = 0 })));
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<PredictionBatcher>(provider, Path.GetFullPath(modelPath)));
        services.AddHostedService<BatcherStartup>();
        services.AddOpenApi();
        return services;
    }

    /// <summary>Maps the Sentio endpoints (see the class summary); <see cref="AddSentioPredictor"/> must have run.</summary>
    public static IEndpointRouteBuilder MapSentio(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<ServingOptions>();
        var metrics = endpoints.ServiceProvider.GetRequiredService<ServingMetrics>();

        var open = endpoints.MapGroup("").AddEndpointFilter(new MetricsFilter(metrics));
        open.MapGet("/", () => Results.Text(WebPage.Html, "text/html; charset=utf-8")).ExcludeFromDescription();
        open.MapGet("/healthz", () => Results.Json(new StatusResponse("alive"), ApiJson.Options))
            .WithSummary("Liveness: the process answers.").Produces<StatusResponse>();
        open.MapGet("/readyz", (PredictionBatcher batcher) => batcher.Predictor is { } p
                ? Results.Json(new StatusResponse("ready", p.Source), ApiJson.Options)
                : NotReady(batcher))
            .WithSummary("Readiness: the model is loaded (503 while it loads or when loading failed).")
            .Produces<StatusResponse>().Produces<StatusResponse>(StatusCodes.Status503ServiceUnavailable);

        var api = endpoints.MapGroup("/v1").AddEndpointFilter(new MetricsFilter(metrics));
        if (options.ApiKey is { } key) api.AddEndpointFilter(new ApiKeyFilter(key));
        api.MapGet("/labels", Labels)
            .WithSummary("The labels in output order and the threshold each is decided at.")
            .Produces<LabelsResponse>().Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/predict", PredictJson)
            .AddEndpointFilter<ConcurrencyFilter>()
            .WithSummary("Labels and every label's probability for each text (the run's tuned thresholds, or 'threshold' for all labels).")
            .AddOpenApiOperationTransformer(RequestBody<PredictRequest>("application/json"))
            .Produces<PredictResponse>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/predict/csv", PredictCsv)
            .AddEndpointFilter<ConcurrencyFilter>()
            .WithSummary("A CSV, TSV or text file in the body (?filename=x.csv names its format; ?text_column, ?id_column, ?threshold); " +
                         "answers the predictions CSV of 'sentio predict --output': id, {label}_probability, {label} 0/1.")
            .AddOpenApiOperationTransformer(RequestBody<string>("text/csv"))
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);

        endpoints.MapMetrics("/metrics", metrics.Registry);
        endpoints.MapOpenApi();
        return endpoints;
    }

    /// <summary>Documents the request body in OpenAPI. (<c>.Accepts&lt;T&gt;()</c> would also make routing refuse other content
    /// types with a bare 415, and <c>curl -d</c> sends form content by default; the body is read as JSON whatever its type.)</summary>
    private static Func<OpenApiOperation, OpenApiOperationTransformerContext, CancellationToken, Task> RequestBody<T>(string contentType) =>
        async (operation, context, cancellation) => operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [contentType] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellation) },
            },
        };

    private static IResult Labels(PredictionBatcher batcher)
    {
        if (batcher.Predictor is not { } predictor) return NotReady(batcher);
        if (IsSingleLabel(predictor))
            return Results.Json(new LabelsResponse(predictor.LabelNames, new Dictionary<string, double>(), "argmax"), ApiJson.Options);
        var thresholds = predictor.Thresholds.ThresholdsFor(predictor.LabelNames);
        return Results.Json(new LabelsResponse(predictor.LabelNames, LabelMap(predictor.LabelNames, thresholds),
            predictor.Thresholds.Strategy == ThresholdStrategy.Global ? "global" : "per_label"), ApiJson.Options);
    }

    private static async Task<IResult> PredictJson(HttpContext http, PredictionBatcher batcher, ServingOptions options)
    {
        if (batcher.Predictor is not { } predictor) return NotReady(batcher);
        var (body, tooLarge) = await ReadBodyAsync(http, options.MaxRequestBodyBytes, "max_request_body_bytes");
        if (tooLarge != null) return tooLarge;

        PredictRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<PredictRequest>(body!, ApiJson.Options);
        }
        catch (JsonException e)
        {
            return Error(StatusCodes.Status400BadRequest,
                $"the body is not a predict request ({e.Path ?? "$"}, line {e.LineNumber + 1 ?? 1}): expected {{\"texts\": [\"...\"], \"threshold\": optional number}}");
        }
        if (request?.Texts is not { } texts) return Error(StatusCodes.Status400BadRequest, "texts: required, a list of strings");
        if (texts.Count == 0) return Error(StatusCodes.Status400BadRequest, "texts: empty; give at least one text");
        if (texts.Count > options.MaxTextsPerRequest)
            return Error(StatusCodes.Status400BadRequest, $"texts: {texts.Count} texts, over the limit of {options.MaxTextsPerRequest} per request", "max_texts_per_request");
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i] == null) return Error(StatusCodes.Status400BadRequest, $"texts[{i}]: expected a string, got null");
            if (texts[i].Length > options.MaxCharactersPerText)
                return Error(StatusCodes.Status400BadRequest, $"texts[{i}]: {texts[i].Length} characters, over the limit of {options.MaxCharactersPerText}", "max_characters_per_text");
        }
        if (ThresholdError(predictor, request.Threshold) is { } badThreshold) return badThreshold;

        if (await PredictAsync(batcher, texts, http) is not { } probabilities) return ModelFailed();
        return new PredictionsResult(EncodedLabels.GetValue(predictor, p => p.LabelNames.Select(l => JsonEncodedText.Encode(l, ApiJson.Options.Encoder)).ToArray()),
            probabilities, predictor.Decide(probabilities, request.Threshold), IsSingleLabel(predictor));
    }

    /// <summary>Each model's label names, JSON-encoded once rather than per text of every answer.</summary>
    private static readonly ConditionalWeakTable<Inference.Predictor, JsonEncodedText[]> EncodedLabels = new();

    /// <summary>A <see cref="PredictResponse"/>'s JSON written straight from the probability matrix: per text its chosen labels
    /// (and, for a single-label model, the one label), and every label's probability, without building the records (a list
    /// and a dictionary per text) on the hot path.</summary>
    private sealed class PredictionsResult(JsonEncodedText[] labels, double[,] probabilities, bool[,] decisions, bool singleLabel) : IResult, IStatusCodeHttpResult
    {
        private static readonly JsonEncodedText Predictions = JsonEncodedText.Encode("predictions");
        private static readonly JsonEncodedText Labels = JsonEncodedText.Encode("labels");
        private static readonly JsonEncodedText Probabilities = JsonEncodedText.Encode("probabilities");
        private static readonly JsonEncodedText Label = JsonEncodedText.Encode("label");

        public int? StatusCode => StatusCodes.Status200OK;

        public async Task ExecuteAsync(HttpContext http)
        {
            // Written whole before sending, so the answer carries a Content-Length and goes out in one write, not in chunks.
            var body = new ArrayBufferWriter<byte>(256 + probabilities.Length * 32);
            using (var json = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = ApiJson.Options.Encoder }))
            {
                json.WriteStartObject();
                json.WriteStartArray(Predictions);
                for (int i = 0; i < probabilities.GetLength(0); i++)
                {
                    json.WriteStartObject();
                    json.WriteStartArray(Labels);
                    for (int j = 0; j < labels.Length; j++)
                        if (decisions[i, j]) json.WriteStringValue(labels[j]);
                    json.WriteEndArray();
                    json.WriteStartObject(Probabilities);
                    for (int j = 0; j < labels.Length; j++) json.WriteNumber(labels[j], probabilities[i, j]);
                    json.WriteEndObject();
                    if (singleLabel)
                        for (int j = 0; j < labels.Length; j++)
                            if (decisions[i, j]) json.WriteString(Label, labels[j]);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.ContentLength = body.WrittenCount;
            await http.Response.Body.WriteAsync(body.WrittenMemory, http.RequestAborted);
        }
    }

    private static async Task<IResult> PredictCsv(HttpContext http, PredictionBatcher batcher, ServingOptions options,
        string? filename, [FromQuery(Name = "text_column")] string? textColumn, [FromQuery(Name = "id_column")] string? idColumn, double? threshold)
    {
        if (batcher.Predictor is not { } predictor) return NotReady(batcher);
        if (ThresholdError(predictor, threshold) is { } badThreshold) return badThreshold;
        var (body, tooLarge) = await ReadBodyAsync(http, options.MaxCsvBodyBytes, "max_csv_body_bytes");
        if (tooLarge != null) return tooLarge;

        // The file readers take a path (they name it in every error and pick the format from its extension),
        // so the upload is written under its own name into a private temporary folder.
        string name = Path.GetFileName(string.IsNullOrWhiteSpace(filename) ? "upload.csv" : filename);
        string folder = Directory.CreateTempSubdirectory("sentio-upload-").FullName;
        IReadOnlyList<UnlabeledText> rows;
        try
        {
            string path = Path.Combine(folder, name);
            await File.WriteAllBytesAsync(path, body!, http.RequestAborted);
            rows = DatasetLoader.ReadUnlabeled(path, textColumn, idColumn);
        }
        catch (SentioException e)
        {
            return Error(StatusCodes.Status400BadRequest, e.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        if (rows.Count > options.MaxCsvRows)
            return Error(StatusCodes.Status400BadRequest, $"{name}: {rows.Count} texts, over the limit of {options.MaxCsvRows} per upload", "max_csv_rows");
        foreach (var row in rows)
            if (row.Text.Length > options.MaxCharactersPerText)
                return Error(StatusCodes.Status400BadRequest, $"{row.Source}:{row.Line}: {row.Text.Length} characters, over the limit of {options.MaxCharactersPerText}", "max_characters_per_text");

        if (await PredictAsync(batcher, rows.Select(r => r.Text).ToArray(), http) is not { } probabilities) return ModelFailed();
        var decisions = predictor.Decide(probabilities, threshold);
        string csv = PredictionFiles.ToCsv(rows.Select(r => r.Id).ToArray(), predictor.LabelNames, probabilities, decisions, predictor.ProblemType);
        return Results.File(Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", Path.GetFileNameWithoutExtension(name) + "-predictions.csv");
    }

    /// <summary>The batcher's probabilities, or null when the model threw (logged; the caller answers a JSON 500).</summary>
    private static async Task<double[,]?> PredictAsync(PredictionBatcher batcher, IReadOnlyList<string> texts, HttpContext http)
    {
        try
        {
            return await batcher.PredictProbabilitiesAsync(texts, http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            http.RequestServices.GetRequiredService<ILogger<PredictionBatcher>>().LogError(e, "the model failed on a batch");
            return null;
        }
    }

    private static IResult ModelFailed() =>
        Error(StatusCodes.Status500InternalServerError, "the model failed on this batch; the server log has the details");

    private static bool IsSingleLabel(Inference.Predictor predictor) => predictor.ProblemType == ProblemType.SingleLabelClassification;

    /// <summary>A 400 for a threshold outside [0, 1], or any threshold for a single-label model; null when it is fine.</summary>
    private static IResult? ThresholdError(Inference.Predictor predictor, double? threshold)
    {
        if (threshold is not { } t) return null;
        if (IsSingleLabel(predictor))
            return Error(StatusCodes.Status400BadRequest, "threshold: the model is single_label_classification; it returns its most probable label and uses no threshold");
        return t >= 0 && t <= 1 ? null : Error(StatusCodes.Status400BadRequest, $"threshold: expected a number from 0 to 1, got {t}");
    }

    /// <summary>Reads the whole body, at most <paramref name="limit"/> bytes; over it, a 413 naming <paramref name="limitKey"/>.</summary>
    private static async Task<(byte[]? Body, IResult? TooLarge)> ReadBodyAsync(HttpContext http, long limit, string limitKey)
    {
        IResult TooLarge() => Error(StatusCodes.Status413PayloadTooLarge, $"the request body is over the limit of {limit} bytes", limitKey);
        if (http.Request.ContentLength > limit) return (null, TooLarge());
        // Kestrel's own cap (30 MB unless configured) would otherwise apply instead of this endpoint's limit.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        // A declared length is read into one array of that size; a chunked body grows a buffer up to the limit.
        using var buffer = http.Request.ContentLength is { } length ? new MemoryStream((int)length) : new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit) return (null, TooLarge());
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return (buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray(), null);
    }

    private static IReadOnlyDictionary<string, double> LabelMap(IReadOnlyList<string> labels, IReadOnlyList<double> values)
    {
        // Insertion order is the model's label order, which is the order JSON objects are written in.
        var map = new Dictionary<string, double>(labels.Count, StringComparer.Ordinal);
        for (int j = 0; j < labels.Count; j++) map.Add(labels[j], values[j]);
        return map;
    }

    private static IResult NotReady(PredictionBatcher batcher) => batcher.LoadError is { } error
        ? Results.Json(new StatusResponse("failed", Error: error), ApiJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable)
        : Results.Json(new StatusResponse("loading"), ApiJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);

    internal static IResult Error(int status, string message, string? limit = null) =>
        Results.Json(new ErrorResponse(message, limit), ApiJson.Options, statusCode: status);

    /// <summary>Starts the batcher (loading the model in the background) when the host starts. Stopping is left to the
    /// batcher's disposal, which the host does after the server has finished its in-flight requests.</summary>
    private sealed class BatcherStartup(PredictionBatcher batcher) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            batcher.Start();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Counts every request by endpoint and status code, and times it.</summary>
    private sealed class MetricsFilter(ServingMetrics metrics) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            string endpoint = (context.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.HttpContext.Request.Path;
            var clock = Stopwatch.StartNew();
            int status = StatusCodes.Status500InternalServerError;
            try
            {
                var result = await next(context);
                status = (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
                return result;
            }
            finally
            {
                metrics.Latency.WithLabels(endpoint).Observe(clock.Elapsed.TotalSeconds);
                string code = status.ToString(CultureInfo.InvariantCulture);
                metrics.Requests.WithLabels(endpoint, code).Inc();
                if (status >= 400) metrics.Errors.WithLabels(endpoint, code).Inc();
            }
        }
    }

    /// <summary>401 unless the request carries <c>Authorization: Bearer KEY</c>; compared in constant time.</summary>
    private sealed class ApiKeyFilter(string key) : IEndpointFilter
    {
        private readonly byte[] expected = Encoding.UTF8.GetBytes("Bearer " + key);

        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var given = Encoding.UTF8.GetBytes(context.HttpContext.Request.Headers.Authorization.ToString());
            if (CryptographicOperations.FixedTimeEquals(given, expected)) return next(context);
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ValueTask.FromResult<object?>(Error(StatusCodes.Status401Unauthorized, "missing or wrong API key: send 'Authorization: Bearer KEY'"));
        }
    }

    /// <summary>The shared permit pool of the prediction endpoints.</summary>
    private sealed record PredictorConcurrency(ConcurrencyLimiter Limiter);

    /// <summary>503 with Retry-After when <see cref="ServingOptions.MaxConcurrentRequests"/> predictions are already running.</summary>
    private sealed class ConcurrencyFilter(PredictorConcurrency concurrency, ServingOptions options) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            using var lease = concurrency.Limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                context.HttpContext.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return Error(StatusCodes.Status503ServiceUnavailable,
                    $"busy: {options.MaxConcurrentRequests} requests are running; retry after {options.RetryAfterSeconds} s", "max_concurrent_requests");
            }
            return await next(context);
        }
    }
}
