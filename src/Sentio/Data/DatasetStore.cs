using System.Security.Cryptography;

namespace Sentio.Data;

/// <summary>Finds a built-in dataset's folder on disk, downloading missing files into the cache. Where it looks,
/// in order: an explicit data dir (<c>--data-dir</c>), else <c>SENTIO_DATA_DIR</c>; if either is set the files must
/// be there as <c>&lt;dir&gt;/&lt;dataset name&gt;/&lt;file&gt;</c> (e.g. <c>goemotions/original/train.tsv</c>) and nothing
/// is downloaded. Otherwise the cache <c>&lt;SENTIO_HOME or ~/.sentio&gt;/datasets/&lt;dataset name&gt;</c>, where a
/// missing file is downloaded to a temporary file, checked against the registry's size and SHA-256, then renamed
/// into place.</summary>
public sealed class DatasetStore
{
    private static readonly HttpClient SharedHttp = new() { Timeout = TimeSpan.FromMinutes(10) };

    /// <param name="dataDir">A folder holding datasets in the shared layout; null uses the cache.</param>
    /// <param name="cacheRoot">The folder under which <c>datasets/&lt;name&gt;</c> is cached.</param>
    /// <param name="baseUrl">A mirror with the data-dir layout (<c>&lt;baseUrl&gt;/&lt;name&gt;/&lt;file&gt;</c>) used
    /// instead of the registry's URLs; null uses the registry's URLs.</param>
    /// <param name="http">The client to download with; null uses a shared one.</param>
    /// <param name="log">Where download progress lines go; null is silent.</param>
    public DatasetStore(string? dataDir, string cacheRoot, string? baseUrl = null, HttpClient? http = null, TextWriter? log = null)
    {
        DataDir = dataDir;
        CacheRoot = cacheRoot;
        BaseUrl = baseUrl;
        _http = http ?? SharedHttp;
        _log = log;
    }

    private readonly HttpClient _http;
    private readonly TextWriter? _log;

    public string? DataDir { get; }
    public string CacheRoot { get; }
    public string? BaseUrl { get; }

    /// <summary>The store the CLI uses: <paramref name="dataDir"/>, else <c>SENTIO_DATA_DIR</c>; cache under
    /// <c>SENTIO_HOME</c> (default <c>~/.sentio</c>); mirror from <c>SENTIO_DATASET_BASE_URL</c> when set.</summary>
    public static DatasetStore FromEnvironment(string? dataDir = null, TextWriter? log = null)
    {
        string? dir = dataDir ?? NonEmpty(Environment.GetEnvironmentVariable("SENTIO_DATA_DIR"));
        string home = NonEmpty(Environment.GetEnvironmentVariable("SENTIO_HOME"))
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sentio");
        return new DatasetStore(dir, home, NonEmpty(Environment.GetEnvironmentVariable("SENTIO_DATASET_BASE_URL")), log: log);
    }

    /// <summary>The folder holding every file of <paramref name="entry"/>, downloading into the cache when needed.</summary>
    /// <exception cref="SentioException">A file is missing from the data dir, or a download fails or does not
    /// match the registry's size and SHA-256; the message names the path or URL and how to use a local copy.</exception>
    public string Resolve(DatasetEntry entry)
    {
        if (DataDir != null)
        {
            string folder = Path.GetFullPath(Path.Combine(DataDir, entry.Name));
            foreach (DatasetFile file in entry.Files)
            {
                string path = Path.Combine(folder, file.Name);
                if (!File.Exists(path))
                    throw new SentioException($"{path}: file not found; the data dir {DataDir} must hold {Layout(entry)}");
            }
            return folder;
        }

        string cache = Path.Combine(CacheRoot, "datasets", entry.Name);
        Directory.CreateDirectory(cache);
        foreach (DatasetFile file in entry.Files)
        {
            string path = Path.Combine(cache, file.Name);
            if (!File.Exists(path)) Download(entry, file, path);
        }
        return cache;
    }

    private void Download(DatasetEntry entry, DatasetFile file, string target)
    {
        string url = BaseUrl != null ? $"{BaseUrl.TrimEnd('/')}/{entry.Name}/{file.Name}" : file.Url;
        _log?.WriteLine($"downloading {url} ({file.Size:N0} bytes) to {target}");
        string temporary = $"{target}.{Guid.NewGuid():N}.part";
        try
        {
            using (var request = new HttpRequestMessage(HttpMethod.Get, url))
            using (HttpResponseMessage response = Send(request, entry, url))
            {
                if (!response.IsSuccessStatusCode)
                    throw DownloadFailed(entry, url, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long length = 0;
                using (Stream body = response.Content.ReadAsStream())
                using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
                {
                    var buffer = new byte[81920];
                    int read;
                    while ((read = body.Read(buffer)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        output.Write(buffer, 0, read);
                        length += read;
                    }
                    output.Flush(flushToDisk: true);
                }
                string sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (length != file.Size || sha256 != file.Sha256)
                    throw DownloadFailed(entry, url,
                        $"content differs from the registry (got {length:N0} bytes, sha256 {sha256}; expected {file.Size:N0} bytes, sha256 {file.Sha256})");
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw DownloadFailed(entry, url, e.Message);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private HttpResponseMessage Send(HttpRequestMessage request, DatasetEntry entry, string url)
    {
        try
        {
            return _http.Send(request, HttpCompletionOption.ResponseHeadersRead);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw DownloadFailed(entry, url, e.Message);
        }
    }

    private static SentioException DownloadFailed(DatasetEntry entry, string url, string reason) =>
        new($"could not download {url}: {reason}. To use a local copy, pass --data-dir DIR or set SENTIO_DATA_DIR=DIR, where DIR holds {Layout(entry)}");

    private static string Layout(DatasetEntry entry) =>
        string.Join(", ", entry.Files.Select(f => $"{entry.Name}/{f.Name}"));

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
