using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sentio.Inference;

namespace Sentio.Serving;

/// <summary>Owns the one model instance and feeds it: requests wait in a bounded queue, and the single consumer gathers
/// what has queued up (up to <see cref="ServingOptions.MaxBatchTexts"/> texts) into one model call, so concurrent requests
/// share batches. While the batch has room it waits for more, for at most <see cref="ServingOptions.MaxBatchDelayMilliseconds"/>
/// and, once the model has run, for at most a tenth of its last call: the model idles at most about a tenth of the time
/// it works, whatever the delay, while clients that were just answered (and send again within a round trip) join the
/// next batch instead of splitting the load into two half batches. The model is only ever called from that consumer,
/// one call at a time.</summary>
public sealed class PredictionBatcher : IAsyncDisposable
{
    private sealed record Job(IReadOnlyList<string> Texts, TaskCompletionSource<double[,]> Result);

    /// <summary>The batching wait is at most the last model call's duration over this.</summary>
    private const int IdleShareOfCall = 10;

    private readonly string modelPath;
    private readonly ServingOptions options;
    private readonly ServingMetrics metrics;
    private readonly ILogger logger;
    private readonly Channel<Job> queue;
    private readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? consumer;
    private volatile Predictor? predictor;

    public PredictionBatcher(string modelPath, ServingOptions options, ServingMetrics metrics, ILogger<PredictionBatcher> logger)
    {
        this.modelPath = modelPath;
        this.options = options;
        this.metrics = metrics;
        this.logger = logger;
        // The concurrency limit already bounds waiting requests; the queue bound keeps memory bounded even if it is raised.
        queue = Channel.CreateBounded<Job>(new BoundedChannelOptions(options.MaxConcurrentRequests) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>The loaded predictor, or null while it loads (or after loading failed).</summary>
    public Predictor? Predictor => predictor;

    /// <summary>Why loading failed, or null.</summary>
    public string? LoadError { get; private set; }

    /// <summary>Completes when the model has loaded; faults with the load error.</summary>
    public Task Loaded => loaded.Task;

    /// <summary>Loads the model in the background, then starts taking requests. Called once, by the host at startup.</summary>
    public void Start() => consumer ??= Task.Run(RunAsync);

    /// <summary>[texts] → [texts, labels] probabilities, computed in a batch shared with concurrent requests.</summary>
    /// <exception cref="InvalidOperationException">The model is not loaded.</exception>
    public async Task<double[,]> PredictProbabilitiesAsync(IReadOnlyList<string> texts, CancellationToken cancellation)
    {
        if (predictor == null) throw new InvalidOperationException("the model is not loaded");
        var job = new Job(texts, new TaskCompletionSource<double[,]>(TaskCreationOptions.RunContinuationsAsynchronously));
        await queue.Writer.WriteAsync(job, cancellation);
        metrics.PendingRequests.Inc();
        try
        {
            return await job.Result.Task;
        }
        finally
        {
            metrics.PendingRequests.Dec();
        }
    }

    private async Task RunAsync()
    {
        var clock = Stopwatch.StartNew();
        try
        {
            predictor = Predictor.Load(modelPath, options.Backend);
        }
        catch (Exception e)
        {
            LoadError = e is SentioException ? e.Message : $"{modelPath}: {e.Message}";
            logger.LogError("loading {ModelPath} failed: {Error}", modelPath, LoadError);
            loaded.SetException(new SentioException(LoadError, e));
            return;
        }
        logger.LogInformation("loaded {ModelPath} in {Seconds:F1} s", modelPath, clock.Elapsed.TotalSeconds);
        loaded.SetResult();

        var reader = queue.Reader;
        var batch = new List<Job>();
        var delay = TimeSpan.FromMilliseconds(options.MaxBatchDelayMilliseconds);
        TimeSpan? lastCall = null;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            int texts = 0;
            while (texts < options.MaxBatchTexts && reader.TryRead(out var job))
            {
                batch.Add(job);
                texts += job.Texts.Count;
            }
            var wait = lastCall is { } last ? TimeSpan.FromTicks(Math.Min(delay.Ticks, last.Ticks / IdleShareOfCall)) : delay;
            if (texts < options.MaxBatchTexts && wait > TimeSpan.Zero)
                texts = await GatherUntilAsync(reader, batch, texts, wait);
            long started = Stopwatch.GetTimestamp();
            Execute(batch, texts);
            lastCall = Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary>Adds requests that arrive within <paramref name="delay"/> while the batch has room; returns its text count.</summary>
    private async Task<int> GatherUntilAsync(ChannelReader<Job> reader, List<Job> batch, int texts, TimeSpan delay)
    {
        using var timeout = new CancellationTokenSource(delay);
        try
        {
            while (texts < options.MaxBatchTexts && await reader.WaitToReadAsync(timeout.Token))
                while (texts < options.MaxBatchTexts && reader.TryRead(out var job))
                {
                    batch.Add(job);
                    texts += job.Texts.Count;
                }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            // The wait is over: run what has been gathered.
        }
        return texts;
    }

    private void Execute(List<Job> batch, int textCount)
    {
        var texts = new List<string>(textCount);
        foreach (var job in batch) texts.AddRange(job.Texts);
        double[,] probabilities;
        try
        {
            probabilities = predictor!.PredictProbabilities(texts);
        }
        catch (Exception e)
        {
            foreach (var job in batch) job.Result.SetException(e);
            return;
        }
        metrics.BatchTexts.Observe(textCount);
        metrics.BatchRequests.Observe(batch.Count);
        metrics.PredictedTexts.Inc(textCount);
        int labels = probabilities.GetLength(1), row = 0;
        foreach (var job in batch)
        {
            var rows = new double[job.Texts.Count, labels];
            // Rows of a [texts, labels] array are contiguous, so each request's block copies at once.
            Array.Copy(probabilities, row * labels, rows, 0, job.Texts.Count * labels);
            row += job.Texts.Count;
            job.Result.SetResult(rows);
        }
    }

    /// <summary>Stops taking requests, finishes those already queued, then disposes the model. The host calls it after
    /// the server has drained its in-flight requests.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        if (consumer != null) await consumer;
        predictor?.Dispose();
    }
}
