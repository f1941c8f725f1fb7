using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Sentio.Checkpoints;
using static TorchSharp.torch;
using Sentio.Models;
using Sentio.Tests.Models;

namespace Sentio.Tests.Checkpoints;

/// <summary>A fake hub on 127.0.0.1 serving the BERT fixture as repository <c>sentio/tiny-bert</c>, shaped like
/// huggingface.co: HEAD/GET on /{repo}/resolve/{revision}/{file} answer X-Repo-Commit and ETag; LFS files (the
/// weights) answer 302 to /cdn/{sha256} with X-Linked-Etag = sha256, and the CDN honours Range requests.</summary>
internal sealed class FakeHub : IDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly HttpListener listener = new();
    private readonly Dictionary<string, byte[]> files;
    private readonly HashSet<string> lfs;
    public ConcurrentQueue<string> Requests { get; } = new();
    public bool CorruptLfs { get; set; }
    public string Endpoint { get; }

    public FakeHub(Dictionary<string, byte[]> files, HashSet<string> lfs)
    {
        this.files = files;
        this.lfs = lfs;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        listener.Prefixes.Add(Endpoint + "/");
        listener.Start();
        _ = Task.Run(Serve);
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) { return; }
            try { Answer(context); }
            finally { context.Response.Close(); }
        }
    }

    private void Answer(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        string path = request.Url!.AbsolutePath;
        Requests.Enqueue($"{request.HttpMethod} {path} {request.Headers["Range"]}".Trim());
        if (path.StartsWith("/cdn/"))
        {
            var (_, data) = files.First(f => Sha256(f.Value) == path["/cdn/".Length..]);
            if (CorruptLfs) { data = (byte[])data.Clone(); data[^1] ^= 0xFF; }
            long start = request.Headers["Range"] is { } range ? long.Parse(range["bytes=".Length..].TrimEnd('-')) : 0;
            if (start >= data.Length)
            {
                response.StatusCode = 416;
                return;
            }
            if (start > 0)
            {
                response.StatusCode = 206;
                response.Headers.Add("Content-Range", $"bytes {start}-{data.Length - 1}/{data.Length}");
            }
            response.OutputStream.Write(data, (int)start, data.Length - (int)start);
            return;
        }
        var parts = path.Split('/', 6); // "", org, name, "resolve", revision, file
        if (parts.Length < 6 || parts[3] != "resolve" || $"{parts[1]}/{parts[2]}" != "sentio/tiny-bert"
            || parts[4] is not ("main" or Commit) || !files.TryGetValue(parts[5], out var content))
        {
            response.StatusCode = 404;
            return;
        }
        response.Headers.Add("X-Repo-Commit", Commit);
        if (lfs.Contains(parts[5]))
        {
            response.Headers.Add("X-Linked-Etag", $"\"{Sha256(content)}\"");
            response.Headers.Add("ETag", "\"lfs-pointer-etag\"");
            response.StatusCode = 302;
            response.RedirectLocation = $"/cdn/{Sha256(content)}";
            return;
        }
        // Git blob ids are sha1s of the content (with a header); any stable hex name serves the cache.
        response.Headers.Add("ETag", $"\"{Convert.ToHexStringLower(SHA1.HashData(content))}\"");
        if (request.HttpMethod == "GET") response.OutputStream.Write(content);
    }

    public void Dispose() => listener.Close();
}

public class HubClientTests
{
    private static FakeHub TinyBert(bool withWeights = true)
    {
        string bert = ModelExactnessTests.Folder("bert");
        var files = new Dictionary<string, byte[]>
        {
            ["config.json"] = File.ReadAllBytes(Path.Combine(bert, "config.json")),
            ["vocab.txt"] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n"u8.ToArray(),
        };
        if (withWeights) files["model.safetensors"] = File.ReadAllBytes(Path.Combine(bert, "model.safetensors"));
        else files["pytorch_model.bin"] = [0x80, 0x02];
        return new FakeHub(files, ["model.safetensors", "pytorch_model.bin"]);
    }

    private static HubClientOptions Options(FakeHub hub, string cache) => new() { Endpoint = hub.Endpoint, CacheDirectory = cache };

    [Fact]
    public void Pull_fills_a_huggingface_hub_cache_and_the_snapshot_loads_with_the_reference_outputs()
    {
        using var hub = TinyBert();
        string cache = TestPaths.NewTempDirectory();
        using var client = new HubClient(Options(hub, cache));
        var snapshot = client.Pull("sentio/tiny-bert");

        string repo = Path.Combine(cache, "models--sentio--tiny-bert");
        Assert.Equal(Path.Combine(repo, "snapshots", FakeHub.Commit), snapshot.Folder);
        Assert.Equal(FakeHub.Commit, File.ReadAllText(Path.Combine(repo, "refs", "main")));
        Assert.Equal(["config.json", "vocab.txt", "model.safetensors"], snapshot.Files);
        byte[] weights = File.ReadAllBytes(Path.Combine(ModelExactnessTests.Folder("bert"), "model.safetensors"));
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(repo, "blobs", FakeHub.Sha256(weights))));
        Assert.Equal(Path.Combine("..", "..", "blobs", FakeHub.Sha256(weights)), new FileInfo(Path.Combine(snapshot.Folder, "model.safetensors")).LinkTarget);

        using var scope = NewDisposeScope();
        var (model, _) = HuggingFaceClassifier.LoadClassifier(snapshot.Folder);
        using var _ = model;
        model.Module.eval();
        var (ids, mask, types, reference) = ModelExactnessTests.Batch("bert");
        using var noGrad = no_grad();
        ModelExactnessTests.AssertClose(ModelExactnessTests.Values(reference, "logits"), model.Logits(ids, mask, types), "logits");
    }

    [Fact]
    public void A_sharded_checkpoint_is_pulled_through_its_index()
    {
        string bert = ModelExactnessTests.Folder("bert");
        var tensors = SafeTensors.Read(Path.Combine(bert, "model.safetensors"));
        string staging = TestPaths.NewTempDirectory();
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var map = new System.Text.Json.Nodes.JsonObject();
        for (int shard = 0; shard < 2; shard++)
        {
            string file = $"model-0000{shard + 1}-of-00002.safetensors";
            var part = names.Where((_, i) => i % 2 == shard).ToDictionary(n => n, n => tensors[n]);
            SafeTensors.Write(Path.Combine(staging, file), part);
            foreach (string n in part.Keys) map[n] = file;
        }
        var files = new Dictionary<string, byte[]>
        {
            ["config.json"] = File.ReadAllBytes(Path.Combine(bert, "config.json")),
            ["model.safetensors.index.json"] = System.Text.Encoding.UTF8.GetBytes(new System.Text.Json.Nodes.JsonObject { ["weight_map"] = map }.ToJsonString()),
            ["model-00001-of-00002.safetensors"] = File.ReadAllBytes(Path.Combine(staging, "model-00001-of-00002.safetensors")),
            ["model-00002-of-00002.safetensors"] = File.ReadAllBytes(Path.Combine(staging, "model-00002-of-00002.safetensors")),
        };
        using var hub = new FakeHub(files, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
        using var client = new HubClient(Options(hub, TestPaths.NewTempDirectory()));
        var snapshot = client.Pull("sentio/tiny-bert", FakeHub.Commit);
        Assert.Equal(["config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"], snapshot.Files);
        var (model, report) = HuggingFaceClassifier.LoadClassifier(snapshot.Folder);
        using var _ = model;
        Assert.Empty(report.Missing);
        Assert.Equal(tensors["classifier.weight"].data<float>().ToArray(), model.Module.state_dict()["classifier.weight"].data<float>().ToArray());
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Fact]
    public void An_interrupted_download_resumes_with_a_range_request()
    {
        using var hub = TinyBert();
        string cache = TestPaths.NewTempDirectory();
        byte[] weights = File.ReadAllBytes(Path.Combine(ModelExactnessTests.Folder("bert"), "model.safetensors"));
        string blobs = Path.Combine(cache, "models--sentio--tiny-bert", "blobs");
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, FakeHub.Sha256(weights) + ".incomplete"), weights[..1000]);

        using var client = new HubClient(Options(hub, cache));
        var snapshot = client.Pull("sentio/tiny-bert");
        Assert.Contains($"GET /cdn/{FakeHub.Sha256(weights)} bytes=1000-", hub.Requests);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(snapshot.Folder, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(blobs, FakeHub.Sha256(weights) + ".incomplete")));
    }

    [Fact]
    public void A_complete_partial_file_is_verified_and_kept_when_the_server_answers_416()
    {
        using var hub = TinyBert();
        string cache = TestPaths.NewTempDirectory();
        byte[] weights = File.ReadAllBytes(Path.Combine(ModelExactnessTests.Folder("bert"), "model.safetensors"));
        string blobs = Path.Combine(cache, "models--sentio--tiny-bert", "blobs");
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, FakeHub.Sha256(weights) + ".incomplete"), weights);

        using var client = new HubClient(Options(hub, cache));
        var snapshot = client.Pull("sentio/tiny-bert");
        Assert.Contains($"GET /cdn/{FakeHub.Sha256(weights)} bytes={weights.Length}-", hub.Requests);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(snapshot.Folder, "model.safetensors")));
    }

    [Fact]
    public void A_sha256_mismatch_is_an_error_and_leaves_no_blob()
    {
        using var hub = TinyBert();
        hub.CorruptLfs = true;
        string cache = TestPaths.NewTempDirectory();
        using var client = new HubClient(Options(hub, cache));
        var error = Assert.Throws<SentioException>(() => client.Pull("sentio/tiny-bert"));
        byte[] weights = File.ReadAllBytes(Path.Combine(ModelExactnessTests.Folder("bert"), "model.safetensors"));
        Assert.Contains($"but the hub announced {FakeHub.Sha256(weights)}", error.Message);
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(cache, "models--sentio--tiny-bert", "blobs")), f => f.EndsWith(".incomplete"));
        Assert.False(File.Exists(Path.Combine(cache, "models--sentio--tiny-bert", "blobs", FakeHub.Sha256(weights))));
    }

    [Fact]
    public void Offline_mode_uses_only_the_cache_and_says_what_is_missing()
    {
        string cache = TestPaths.NewTempDirectory();
        var offline = new HubClientOptions { Endpoint = "http://127.0.0.1:9", CacheDirectory = cache, Offline = true };
        using (var client = new HubClient(offline))
        {
            var error = Assert.Throws<SentioException>(() => client.Pull("sentio/tiny-bert"));
            Assert.Contains("HF_HUB_OFFLINE is set and sentio/tiny-bert@main is not in the cache", error.Message);
        }
        using (var hub = TinyBert())
        using (var online = new HubClient(Options(hub, cache)))
            online.Pull("sentio/tiny-bert");
        using var again = new HubClient(offline);
        var snapshot = again.Pull("sentio/tiny-bert");
        Assert.Equal(FakeHub.Commit, snapshot.Commit);
        Assert.Equal(["config.json", "model.safetensors", "vocab.txt"], snapshot.Files);
    }

    [Fact]
    public void A_repository_with_only_pickle_weights_downloads_them()
    {
        using var hub = TinyBert(withWeights: false);
        using var client = new HubClient(Options(hub, TestPaths.NewTempDirectory()));
        var snapshot = client.Pull("sentio/tiny-bert");
        Assert.Equal(["config.json", "vocab.txt", "pytorch_model.bin"], snapshot.Files);
        Assert.Equal(new byte[] { 0x80, 0x02 }, File.ReadAllBytes(Path.Combine(snapshot.Folder, "pytorch_model.bin")));
    }

    [Fact]
    public void Unknown_repositories_and_bad_ids_are_reported()
    {
        using var hub = TinyBert();
        using var client = new HubClient(Options(hub, TestPaths.NewTempDirectory()));
        Assert.Contains("not found (404)", Assert.Throws<SentioException>(() => client.Pull("sentio/other")).Message);
        Assert.Contains("is not of the form 'org/name'", Assert.Throws<SentioException>(() => client.Pull("../etc")).Message);
    }

    [Fact]
    public void Options_follow_the_huggingface_hub_environment_variables()
    {
        var environment = new Dictionary<string, string?> { ["HF_HOME"] = "/tmp/hf-home", ["HF_ENDPOINT"] = "http://mirror.local/", ["HF_HUB_OFFLINE"] = "1" };
        var options = HubClientOptions.FromEnvironment(name => environment.GetValueOrDefault(name));
        Assert.Equal(("http://mirror.local", "/tmp/hf-home/hub", true, (string?)null), (options.Endpoint, options.CacheDirectory, options.Offline, options.Token));
    }
}
