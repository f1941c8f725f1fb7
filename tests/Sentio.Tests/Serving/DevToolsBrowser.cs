using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sentio.Tests.Serving;

/// <summary>Headless Chromium driven over the DevTools protocol (a WebSocket of JSON commands). Hand-written because the
/// test needs six commands, and Playwright .NET would want to download its own browser build.</summary>
internal sealed class DevToolsBrowser : IAsyncDisposable
{
    private readonly Process process;
    private readonly ClientWebSocket socket;
    private int nextId;

    private DevToolsBrowser(Process process, ClientWebSocket socket)
    {
        this.process = process;
        this.socket = socket;
    }

    /// <summary>Starts Chromium with a fresh profile and attaches to its first page.</summary>
    public static async Task<DevToolsBrowser> LaunchAsync(string chromium, string profile, int width, int height)
    {
        var start = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--remote-debugging-port=0",
            "--remote-allow-origins=*", $"--user-data-dir={profile}", $"--window-size={width},{height}", "--hide-scrollbars", "about:blank",
        })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            string? endpoint = null;
            var lines = new StringBuilder();
            while (endpoint == null && await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
            {
                lines.AppendLine(line);
                if (Regex.Match(line, @"DevTools listening on ws://([^/]+)/") is { Success: true } match) endpoint = match.Groups[1].Value;
            }
            if (endpoint == null) throw new InvalidOperationException("chromium printed no DevTools address: " + lines);
            _ = process.StandardError.ReadToEndAsync();

            using var http = new HttpClient();
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://{endpoint}/json/list"))!.AsArray();
            string page = targets.First(t => (string?)t!["type"] == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri(page), CancellationToken.None);
            var browser = new DevToolsBrowser(process, socket);
            // --window-size counts the window, not the page; this fixes the page's viewport (and the screenshot) exactly.
            await browser.SendAsync("Emulation.setDeviceMetricsOverride", new { width, height, deviceScaleFactor = 1, mobile = false });
            return browser;
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>Sends one command and returns its result; events arriving meanwhile are skipped.</summary>
    public async Task<JsonNode> SendAsync(string method, object? parameters = null)
    {
        int id = ++nextId;
        byte[] message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var received = new MemoryStream();
            WebSocketReceiveResult part;
            do
            {
                part = await socket.ReceiveAsync(buffer, timeout.Token);
                received.Write(buffer, 0, part.Count);
            } while (!part.EndOfMessage);
            var reply = JsonNode.Parse(received.ToArray())!;
            if ((int?)reply["id"] != id) continue;
            if (reply["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
            return reply["result"]!;
        }
    }

    /// <summary>Evaluates a JavaScript expression in the page (awaiting a promise) and returns its value as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        if (result["exceptionDetails"] is { } exception) throw new InvalidOperationException($"{expression}: {exception.ToJsonString()}");
        return result["result"]!["value"];
    }

    /// <summary>Polls <paramref name="condition"/> (a JavaScript boolean expression) until it holds; while the page is
    /// still loading it may throw, which counts as not yet.</summary>
    public async Task WaitForAsync(string condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while ((bool?)await EvaluateAsync($"(() => {{ try {{ return !!({condition}); }} catch {{ return false; }} }})()") != true)
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"'{condition}' did not hold within {timeout}");
            await Task.Delay(50);
        }
    }

    /// <summary>A left click at the centre of the element <paramref name="selector"/> picks, as a mouse would.</summary>
    public async Task ClickAsync(string selector)
    {
        var box = (await EvaluateAsync($"(() => {{ const r = document.querySelector('{selector}').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"))!.AsArray();
        double x = box[0]!.GetValue<double>(), y = box[1]!.GetValue<double>();
        foreach (string type in new[] { "mousePressed", "mouseReleased" })
            await SendAsync("Input.dispatchMouseEvent", new { type, x, y, button = "left", clickCount = 1 });
    }

    public async ValueTask DisposeAsync()
    {
        socket.Dispose();
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
