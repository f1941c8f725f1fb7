using System.CommandLine;
using Sentio.Serving;

namespace Sentio.Cli;

/// <summary><c>sentio serve</c>: the HTTP API and web page for a trained model (Sentio.Serving).</summary>
public static class ServeCommands
{
    public static Command Serve(Option<string> modelPath, TextWriter output)
    {
        var defaults = new ServingOptions();
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on, ';'-separated (port 0: any free port)", DefaultValueFactory = _ => SentioServer.DefaultUrl };
        var apiKeyFile = new Option<string?>("--api-key-file") { Description = "A file holding the API key; /v1/ requests without 'Authorization: Bearer KEY' get 401" };
        var maxBody = new Option<long?>("--max-request-body-bytes") { Description = $"Largest JSON request body [default: {defaults.MaxRequestBodyBytes}]" };
        var maxCsvBody = new Option<long?>("--max-csv-body-bytes") { Description = $"Largest CSV upload [default: {defaults.MaxCsvBodyBytes}]" };
        var maxTexts = new Option<int?>("--max-texts-per-request") { Description = $"Most texts in one JSON request [default: {defaults.MaxTextsPerRequest}]" };
        var maxCsvRows = new Option<int?>("--max-csv-rows") { Description = $"Most rows in one CSV upload [default: {defaults.MaxCsvRows}]" };
        var maxCharacters = new Option<int?>("--max-characters-per-text") { Description = $"Most characters in one text [default: {defaults.MaxCharactersPerText}]" };
        var maxConcurrent = new Option<int?>("--max-concurrent-requests") { Description = $"Prediction requests at once; more get 503 with Retry-After [default: {defaults.MaxConcurrentRequests}]" };
        var retryAfter = new Option<int?>("--retry-after-seconds") { Description = $"Retry-After of a 503 [default: {defaults.RetryAfterSeconds}]" };
        var maxBatchTexts = new Option<int?>("--max-batch-texts") { Description = $"Texts gathered into one model call [default: {defaults.MaxBatchTexts}]" };
        var maxBatchDelay = new Option<double?>("--max-batch-delay-ms") { Description = $"Longest the batcher waits for more requests to share a model call (never more than a tenth of the last call) [default: {defaults.MaxBatchDelayMilliseconds}]" };
        var backend = SentioCommandLine.BackendOption();
        var command = new Command("serve", "Serve a model over HTTP: POST /v1/predict, /v1/predict/csv, GET /v1/labels, /healthz, /readyz, /metrics, /openapi/v1.json and a web page at /.")
        {
            modelPath, urls, apiKeyFile, maxBody, maxCsvBody, maxTexts, maxCsvRows, maxCharacters, maxConcurrent, retryAfter, maxBatchTexts, maxBatchDelay, backend,
        };
        command.SetAction(parse =>
        {
            var options = new ServingOptions
            {
                MaxRequestBodyBytes = parse.GetValue(maxBody) ?? defaults.MaxRequestBodyBytes,
                MaxCsvBodyBytes = parse.GetValue(maxCsvBody) ?? defaults.MaxCsvBodyBytes,
                MaxTextsPerRequest = parse.GetValue(maxTexts) ?? defaults.MaxTextsPerRequest,
                MaxCsvRows = parse.GetValue(maxCsvRows) ?? defaults.MaxCsvRows,
                MaxCharactersPerText = parse.GetValue(maxCharacters) ?? defaults.MaxCharactersPerText,
                MaxConcurrentRequests = parse.GetValue(maxConcurrent) ?? defaults.MaxConcurrentRequests,
                RetryAfterSeconds = parse.GetValue(retryAfter) ?? defaults.RetryAfterSeconds,
                MaxBatchTexts = parse.GetValue(maxBatchTexts) ?? defaults.MaxBatchTexts,
                MaxBatchDelayMilliseconds = parse.GetValue(maxBatchDelay) ?? defaults.MaxBatchDelayMilliseconds,
                ApiKey = parse.GetValue(apiKeyFile) is { } file ? ApiKeyFile.Read(file) : null,
                Backend = parse.GetValue(backend),
            };
            var addresses = parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var app = SentioServer.Build(parse.GetValue(modelPath)!, addresses, options);
            // Synchronous on purpose: the host's console lifetime owns SIGTERM / Ctrl+C (finishing in-flight requests),
            // which System.CommandLine would otherwise take over for an async action.
            SentioServer.RunAsync(app, output).GetAwaiter().GetResult();
            return 0;
        });
        return command;
    }
}
