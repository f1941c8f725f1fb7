using Prometheus;

namespace Sentio.Serving;

/// <summary>The server's Prometheus metrics (prometheus-net), in a registry of their own so that several servers in one
/// process (tests, a host with other metrics) never share counts. <c>GET /metrics</c> exposes them.</summary>
public sealed class ServingMetrics
{
    public ServingMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("sentio_http_requests_total", "HTTP requests to the Sentio API, by endpoint and status code.",
            new CounterConfiguration { LabelNames = ["endpoint", "code"] });
        Errors = factory.CreateCounter("sentio_http_errors_total", "Requests answered with a 4xx or 5xx status, by endpoint and status code.",
            new CounterConfiguration { LabelNames = ["endpoint", "code"] });
        Latency = factory.CreateHistogram("sentio_http_request_duration_seconds", "Time from the request reaching the endpoint to its result, by endpoint.",
            new HistogramConfiguration { LabelNames = ["endpoint"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        BatchTexts = factory.CreateHistogram("sentio_batch_texts", "Texts per model call of the micro-batcher.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 12) });
        BatchRequests = factory.CreateHistogram("sentio_batch_requests", "Requests gathered into one model call.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 8) });
        PredictedTexts = factory.CreateCounter("sentio_predicted_texts_total", "Texts the model has labelled.");
        PendingRequests = factory.CreateGauge("sentio_pending_requests", "Requests queued for the model or in the batch it is scoring.");
    }

    public CollectorRegistry Registry { get; }
    public Counter Requests { get; }
    public Counter Errors { get; }
    public Histogram Latency { get; }
    public Histogram BatchTexts { get; }
    public Histogram BatchRequests { get; }
    public Counter PredictedTexts { get; }
    public Gauge PendingRequests { get; }
}
