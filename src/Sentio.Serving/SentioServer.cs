using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sentio.Serving;

/// <summary>The stand-alone server of <c>sentio serve</c>: Kestrel (HTTP) with the Sentio endpoints and nothing else.</summary>
public static class SentioServer
{
    /// <summary>The default address: loopback only, so nothing outside the machine reaches a server started by hand.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>A server for <paramref name="modelPath"/> listening on <paramref name="urls"/> (port 0 picks a free port).
    /// Nothing listens until the app starts.</summary>
    /// <exception cref="SentioException">A URL is not http://host:port, or an option is out of range.</exception>
    public static WebApplication Build(string modelPath, IReadOnlyList<string> urls, ServingOptions options, LogLevel logLevel = LogLevel.Warning)
    {
        options.Validate();
        foreach (string url in urls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
                throw new SentioException($"--urls: '{url}' is not an http://host:port address (terminate TLS at a proxy or load balancer in front)");
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(logLevel);
        builder.WebHost.UseUrls([.. urls]);
        // Each endpoint sets its own body limit; Kestrel's server-wide one must not be lower.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = Math.Max(options.MaxRequestBodyBytes, options.MaxCsvBodyBytes));
        builder.Services.AddSentioPredictor(modelPath, options);
        var app = builder.Build();
        app.MapSentio();
        return app;
    }

    /// <summary>Starts <paramref name="app"/>, prints where it listens and when the model is loaded, and runs until the
    /// host stops (SIGTERM or Ctrl+C: in-flight requests finish first).</summary>
    /// <exception cref="SentioException">An address cannot be bound, or the model does not load.</exception>
    public static async Task RunAsync(WebApplication app, TextWriter output)
    {
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new SentioException($"cannot listen: {e.Message}", e);
        }
        output.WriteLine($"Listening on {string.Join(", ", ListeningAddresses(app))}");
        var batcher = app.Services.GetRequiredService<PredictionBatcher>();
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        try
        {
            await batcher.Loaded.WaitAsync(lifetime.ApplicationStopping);
            output.WriteLine($"Model loaded: {batcher.Predictor!.Source} ({batcher.Predictor.LabelNames.Count} labels); ready");
        }
        catch (SentioException)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            throw;
        }
        catch (OperationCanceledException)
        {
            // Stopped while the model was loading.
        }
        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
    }

    /// <summary>The addresses a started app listens on, with the ports chosen for port 0.</summary>
    public static IReadOnlyList<string> ListeningAddresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
}
