using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Sentio.Data;

namespace Sentio.Tests.Data;

public class DatasetStoreTests
{
    /// <summary>Serves files from a dictionary (path → bytes) on 127.0.0.1 and counts the requests.</summary>
    private sealed class FileServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Func<string, byte[]?> _files;
        private readonly Task _loop;

        public FileServer(Func<string, byte[]?> files)
        {
            _files = files;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            BaseUrl = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(BaseUrl);
            _listener.Start();
            _loop = Task.Run(Serve);
        }

        public string BaseUrl { get; }
        public int Requests;

        private async Task Serve()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                Interlocked.Increment(ref Requests);
                byte[]? body = _files(context.Request.Url!.AbsolutePath.TrimStart('/'));
                context.Response.StatusCode = body == null ? 404 : 200;
                if (body != null) await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }

    private static readonly byte[] TrainBytes = Encoding.UTF8.GetBytes("good day\t0\ta\nbad day\t1\tb\n");
    private static readonly byte[] LabelBytes = Encoding.UTF8.GetBytes("joy\nanger\n");

    private static DatasetFile FileFor(string name, string url, byte[] content) =>
        new(name, url, content.Length, Convert.ToHexStringLower(SHA256.HashData(content)));

    private static DatasetEntry FakeEntry(string baseUrl, byte[] servedTrain) => new(
        "fake/tiny", "a two-line dataset", DataFormat.GoemotionsTsv, "train.tsv", null, "train.tsv", "labels.txt",
        [FileFor("train.tsv", baseUrl + "files/train.tsv", servedTrain), FileFor("labels.txt", baseUrl + "files/labels.txt", LabelBytes)]);

    [Fact]
    public void EveryRegistryFileMatchesTheSharedCopy()
    {
        foreach (DatasetEntry entry in DatasetRegistry.All)
        {
            foreach (DatasetFile file in entry.Files)
            {
                byte[] content = File.ReadAllBytes(Path.Combine(TestPaths.SharedData, entry.Name, file.Name));
                Assert.Equal(file.Size, content.Length);
                Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(content)));
                Assert.StartsWith("https://raw.githubusercontent.com/", file.Url);
            }
            Assert.Contains(entry.TrainFile, entry.Files.Select(f => f.Name));
            Assert.Contains(entry.TestFile, entry.Files.Select(f => f.Name));
        }
        Assert.Equal(["goemotions/original", "goemotions/ekman", "goemotions/group", "semeval2025-track-a"], DatasetRegistry.Names);
    }

    [Fact]
    public void DataDirIsUsedAsIsAndAMissingFileNamesTheLayout()
    {
        var store = new DatasetStore(TestPaths.SharedData, TestPaths.NewTempDirectory());
        Assert.Equal(Path.Combine(TestPaths.SharedData, "goemotions", "ekman"), store.Resolve(DatasetRegistry.Get("goemotions/ekman")));

        string empty = TestPaths.NewTempDirectory();
        var error = Assert.Throws<SentioException>(() => new DatasetStore(empty, empty).Resolve(DatasetRegistry.Get("semeval2025-track-a")));
        Assert.Equal($"{Path.Combine(empty, "semeval2025-track-a", "train.csv")}: file not found; the data dir {empty} must hold " +
            "semeval2025-track-a/train.csv, semeval2025-track-a/dev.csv", error.Message);
    }

    [Fact]
    public void MissingFilesAreDownloadedOnceIntoTheCache()
    {
        using var server = new FileServer(path => path switch { "files/train.tsv" => TrainBytes, "files/labels.txt" => LabelBytes, _ => null });
        string cache = TestPaths.NewTempDirectory();
        var store = new DatasetStore(null, cache);
        string folder = store.Resolve(FakeEntry(server.BaseUrl, TrainBytes));

        Assert.Equal(Path.Combine(cache, "datasets", "fake", "tiny"), folder);
        Assert.Equal(TrainBytes, File.ReadAllBytes(Path.Combine(folder, "train.tsv")));
        Assert.Equal(["labels.txt", "train.tsv"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Equal(2, server.Requests);

        store.Resolve(FakeEntry(server.BaseUrl, TrainBytes));
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public void ContentThatDoesNotMatchTheRegistryIsRejectedAndNotKept()
    {
        byte[] tampered = Encoding.UTF8.GetBytes("good day\t1\ta\nbad day\t1\tb\n"); // 25 bytes like TrainBytes (13 + 12), one byte differs
        using var server = new FileServer(path => path switch { "files/train.tsv" => tampered, "files/labels.txt" => LabelBytes, _ => null });
        string cache = TestPaths.NewTempDirectory();
        var error = Assert.Throws<SentioException>(() => new DatasetStore(null, cache).Resolve(FakeEntry(server.BaseUrl, TrainBytes)));

        string expectedSha = Convert.ToHexStringLower(SHA256.HashData(TrainBytes));
        string gotSha = Convert.ToHexStringLower(SHA256.HashData(tampered));
        Assert.StartsWith($"could not download {server.BaseUrl}files/train.tsv: content differs from the registry " +
            $"(got 25 bytes, sha256 {gotSha}; expected 25 bytes, sha256 {expectedSha})", error.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(cache, "datasets", "fake", "tiny")));
    }

    [Fact]
    public void NotFoundNamesTheUrlAndHowToUseALocalCopy()
    {
        using var server = new FileServer(_ => null);
        var error = Assert.Throws<SentioException>(() => new DatasetStore(null, TestPaths.NewTempDirectory()).Resolve(FakeEntry(server.BaseUrl, TrainBytes)));
        Assert.Equal($"could not download {server.BaseUrl}files/train.tsv: HTTP 404 Not Found. To use a local copy, pass --data-dir DIR " +
            "or set SENTIO_DATA_DIR=DIR, where DIR holds fake/tiny/train.tsv, fake/tiny/labels.txt", error.Message);
    }

    [Fact]
    public void AnUnreachableServerNamesTheUrl()
    {
        // A port that was free a moment ago and has no listener: the connection is refused.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        string baseUrl = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
        probe.Stop();
        var error = Assert.Throws<SentioException>(() => new DatasetStore(null, TestPaths.NewTempDirectory()).Resolve(FakeEntry(baseUrl, TrainBytes)));
        Assert.StartsWith($"could not download {baseUrl}files/train.tsv: ", error.Message);
        Assert.EndsWith("pass --data-dir DIR or set SENTIO_DATA_DIR=DIR, where DIR holds fake/tiny/train.tsv, fake/tiny/labels.txt", error.Message);
    }

    [Fact]
    public void AMirrorWithTheDataDirLayoutServesTheRealSemEvalFiles()
    {
        // The mirror serves ../shared/data, so the download must pass the registry's real size and SHA-256 checks.
        using var server = new FileServer(path =>
        {
            string local = Path.Combine(TestPaths.SharedData, path);
            return File.Exists(local) ? File.ReadAllBytes(local) : null;
        });
        string cache = TestPaths.NewTempDirectory();
        string folder = new DatasetStore(null, cache, baseUrl: server.BaseUrl).Resolve(DatasetRegistry.Get("semeval2025-track-a"));
        var dev = WideCsvReader.Read(Path.Combine(folder, "dev.csv"));
        Assert.Equal(116, dev.Count); // data README: dev.csv has 116 rows
    }
}
