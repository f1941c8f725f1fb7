using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Sentio.IO;

namespace Sentio.Checkpoints;

/// <summary>Where and how <see cref="HubClient"/> downloads.</summary>
public sealed record HubClientOptions
{
    /// <summary>Base address; files come from <c>{Endpoint}/{repo}/resolve/{revision}/{file}</c>. Default https://huggingface.co.</summary>
    public string Endpoint { get; init; } = "https://huggingface.co";
    /// <summary>The hub cache folder (holding <c>models--org--name</c>). Default ~/.cache/huggingface/hub.</summary>
    public string CacheDirectory { get; init; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");
    /// <summary>Use only the cache, never the network. Default false.</summary>
    public bool Offline { get; init; }
    /// <summary>Bearer token for private repositories; null for none.</summary>
    public string? Token { get; init; }

    /// <summary>Options as huggingface_hub reads its environment: <c>HF_ENDPOINT</c>, <c>HF_HUB_CACHE</c> (else
    /// <c>HF_HOME</c>/hub, else ~/.cache/huggingface/hub), <c>HF_HUB_OFFLINE</c> (1/true/yes/on) and <c>HF_TOKEN</c>.</summary>
    /// <param name="variable">Reads one variable; default the process environment (a test passes its own table instead of
    /// changing the process's, which other tests read in parallel).</param>
    public static HubClientOptions FromEnvironment(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        var defaults = new HubClientOptions();
        string? home = variable("HF_HOME");
        string cache = variable("HF_HUB_CACHE") is { Length: > 0 } hubCache ? hubCache
            : home is { Length: > 0 } ? Path.Combine(home, "hub") : defaults.CacheDirectory;
        string offline = variable("HF_HUB_OFFLINE")?.Trim().ToLowerInvariant() ?? "";
        return new HubClientOptions
        {
            Endpoint = variable("HF_ENDPOINT") is { Length: > 0 } endpoint ? endpoint.TrimEnd('/') : defaults.Endpoint,
            CacheDirectory = cache,
            Offline = offline is "1" or "true" or "yes" or "on",
            Token = variable("HF_TOKEN") is { Length: > 0 } token ? token : null,
        };
    }
}

/// <summary>A downloaded snapshot: the folder holding the files (an HF model folder) and the commit it belongs to.</summary>
public sealed record HubSnapshot(string Folder, string Commit, IReadOnlyList<string> Files);

/// <summary>Downloads a model repository's config, tokenizer files and weights (safetensors, else pytorch_model.bin) into a cache laid out like
/// huggingface_hub's: <c>models--org--name/blobs/{etag}</c> holds content, <c>snapshots/{commit}/{file}</c> links to it,
/// <c>refs/{revision}</c> names the commit. Interrupted downloads resume from <c>blobs/{etag}.incomplete</c> with an HTTP
/// Range request; LFS files (weights) are checked against the sha256 the hub sends in <c>X-Linked-Etag</c>.</summary>
public sealed partial class HubClient : IDisposable
{
    /// <summary>Fetched when present; a repository needs none of them (a RoBERTa has no vocab.txt, a BERT no merges.txt).</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles =
        ["tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt", "tokenizer.json"];

    private readonly HubClientOptions options;
    private readonly HttpClient http;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")]
    private static partial Regex RepoIdPattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();

    /// <param name="handler">The HTTP handler (tests pass their own); it must not follow redirects itself.</param>
    public HubClient(HubClientOptions options, HttpMessageHandler? handler = null)
    {
        this.options = options;
        http = new HttpClient(handler ?? new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(30) };
    }

    public void Dispose() => http.Dispose();

    /// <summary>Downloads (or, offline, finds in the cache) config.json, the tokenizer files and the weights
    /// (model.safetensors, or model.safetensors.index.json and its shards, else pytorch_model.bin) of <paramref name="repoId"/> at
    /// <paramref name="revision"/>, and returns the snapshot folder, ready for <c>HuggingFaceClassifier.LoadClassifier</c>.</summary>
    /// <exception cref="SentioException">Bad repo id, a network or HTTP error, a sha256 mismatch, a repository without
    /// weights, or (offline) a snapshot the cache lacks.</exception>
    public HubSnapshot Pull(string repoId, string revision = "main", CancellationToken cancellation = default)
    {
        if (!RepoIdPattern().IsMatch(repoId) || repoId.Contains(".."))
            throw new SentioException($"repo id '{repoId}' is not of the form 'org/name'");
        if (revision.Length == 0 || revision.Contains("..") || revision.Contains('\\'))
            throw new SentioException($"{repoId}: revision '{revision}' is not a branch, tag or commit");
        string repoFolder = Path.Combine(options.CacheDirectory, "models--" + repoId.Replace("/", "--"));
        return options.Offline ? FromCache(repoId, revision, repoFolder) : Download(repoId, revision, repoFolder, cancellation);
    }

    private HubSnapshot FromCache(string repoId, string revision, string repoFolder)
    {
        string refFile = Path.Combine(repoFolder, "refs", revision);
        string? commit = CommitPattern().IsMatch(revision) ? revision : File.Exists(refFile) ? File.ReadAllText(refFile).Trim() : null;
        string hint = $"HF_HUB_OFFLINE is set and {repoId}@{revision} is not in the cache {options.CacheDirectory}; pull it once online";
        if (commit is null) throw new SentioException($"{refFile}: not found; {hint}");
        string folder = Path.Combine(repoFolder, "snapshots", commit);
        if (!File.Exists(Path.Combine(folder, HfModelFolder.ConfigFile)))
            throw new SentioException($"{Path.Combine(folder, HfModelFolder.ConfigFile)}: not found; {hint}");
        if (!new[] { HfModelFolder.WeightsFile, SafeTensors.IndexFile, HfModelFolder.PickleWeightsFile }.Any(f => File.Exists(Path.Combine(folder, f))))
            throw new SentioException($"{folder}: no {HfModelFolder.WeightsFile}, {SafeTensors.IndexFile} or {HfModelFolder.PickleWeightsFile}; {hint}");
        var files = Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        return new HubSnapshot(folder, commit, files!);
    }

    private HubSnapshot Download(string repoId, string revision, string repoFolder, CancellationToken cancellation)
    {
        var fetched = new List<string>();
        var config = Head(repoId, revision, HfModelFolder.ConfigFile, cancellation)
            ?? throw new SentioException($"{Url(repoId, revision, HfModelFolder.ConfigFile)}: not found (404); is '{repoId}' a model repository with revision '{revision}'?");
        string commit = config.Commit;
        Fetch(repoId, commit, repoFolder, config, cancellation);
        fetched.Add(config.File);
        foreach (string file in TokenizerFiles)
            if (Head(repoId, commit, file, cancellation) is { } found) { Fetch(repoId, commit, repoFolder, found, cancellation); fetched.Add(file); }

        if (Head(repoId, commit, HfModelFolder.WeightsFile, cancellation) is { } weights)
        {
            Fetch(repoId, commit, repoFolder, weights, cancellation);
            fetched.Add(weights.File);
        }
        else if (Head(repoId, commit, SafeTensors.IndexFile, cancellation) is { } index)
        {
            string indexPath = Fetch(repoId, commit, repoFolder, index, cancellation);
            fetched.Add(index.File);
            foreach (string shard in SafeTensors.ReadWeightMap(indexPath).Values.Distinct().Order(StringComparer.Ordinal))
            {
                var remote = Head(repoId, commit, shard, cancellation)
                    ?? throw new SentioException($"{Url(repoId, commit, shard)}: not found (404), though {SafeTensors.IndexFile} names it");
                Fetch(repoId, commit, repoFolder, remote, cancellation);
                fetched.Add(shard);
            }
        }
        else if (Head(repoId, commit, HfModelFolder.PickleWeightsFile, cancellation) is { } pickle)
        {
            Fetch(repoId, commit, repoFolder, pickle, cancellation); // read by PickleWeights, which runs nothing from the file
            fetched.Add(pickle.File);
        }
        else
            throw new SentioException($"{Url(repoId, commit, HfModelFolder.WeightsFile)}: not found (404), nor {SafeTensors.IndexFile}");

        Directory.CreateDirectory(Path.Combine(repoFolder, "refs"));
        if (revision != commit) AtomicFile.WriteText(Path.Combine(repoFolder, "refs", revision), commit);
        return new HubSnapshot(Path.Combine(repoFolder, "snapshots", commit), commit, fetched);
    }

    /// <summary>What a HEAD on the resolve URL says about one file: its commit, etag (sha256 for LFS files), whether it is
    /// an LFS file, and where its content lives (the redirect target, or the resolve URL).</summary>
    private sealed record RemoteFile(string File, string Commit, string ETag, bool IsLfs, Uri ContentUrl);

    private string Url(string repoId, string revision, string file) =>
        $"{options.Endpoint.TrimEnd('/')}/{repoId}/resolve/{Uri.EscapeDataString(revision)}/{file}";

    private RemoteFile? Head(string repoId, string revision, string file, CancellationToken cancellation)
    {
        var url = new Uri(Url(repoId, revision, file));
        using var response = Send(HttpMethod.Head, url, null, cancellation);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        bool redirect = (int)response.StatusCode is >= 300 and < 400;
        if (!response.IsSuccessStatusCode && !redirect)
            throw new SentioException($"{url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}{(response.StatusCode == HttpStatusCode.Unauthorized ? " (set HF_TOKEN for private or gated repositories)" : "")}");
        string? commit = Header(response, "X-Repo-Commit");
        string? linked = Header(response, "X-Linked-Etag");
        string? etag = linked ?? response.Headers.ETag?.Tag ?? Header(response, "ETag");
        if (commit is null || !CommitPattern().IsMatch(commit)) throw new SentioException($"{url}: the server sent no X-Repo-Commit header with a commit sha");
        if (etag is null) throw new SentioException($"{url}: the server sent no ETag");
        etag = etag.Replace("W/", "").Trim('"');
        if (etag.Length == 0 || etag.Contains('/') || etag.Contains('\\') || etag.Contains(".."))
            throw new SentioException($"{url}: ETag '{etag}' cannot name a cache file");
        Uri content = redirect && response.Headers.Location is { } location ? new Uri(url, location) : url;
        return new RemoteFile(file, commit, etag, linked is not null, content);
    }

    /// <summary>Makes <c>snapshots/{commit}/{file}</c> point at the file's blob, downloading the blob unless cached.</summary>
    private string Fetch(string repoId, string commit, string repoFolder, RemoteFile remote, CancellationToken cancellation)
    {
        string blobs = Path.Combine(repoFolder, "blobs");
        string blob = Path.Combine(blobs, remote.ETag);
        Directory.CreateDirectory(blobs);
        if (!File.Exists(blob)) DownloadBlob(remote, blob, cancellation);
        string snapshot = Path.Combine(repoFolder, "snapshots", commit);
        Directory.CreateDirectory(snapshot);
        string pointer = Path.Combine(snapshot, remote.File);
        if (File.Exists(pointer) || new FileInfo(pointer).LinkTarget is not null) File.Delete(pointer);
        try { File.CreateSymbolicLink(pointer, Path.Combine("..", "..", "blobs", remote.ETag)); }
        catch (IOException) { File.Copy(blob, pointer); } // file systems without symbolic links
        catch (UnauthorizedAccessException) { File.Copy(blob, pointer); }
        return pointer;
    }

    private void DownloadBlob(RemoteFile remote, string blob, CancellationToken cancellation)
    {
        string partial = blob + ".incomplete";
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        using var response = SendFollowingRedirects(remote.ContentUrl, have, cancellation);
        bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
        // 416: the partial file already holds every byte (the previous run stopped before renaming it).
        bool alreadyComplete = have > 0 && response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable;
        if (!response.IsSuccessStatusCode && !alreadyComplete)
            throw new SentioException($"{remote.ContentUrl}: HTTP {(int)response.StatusCode} {response.ReasonPhrase} while downloading {remote.File}");
        if (!alreadyComplete)
        {
            try
            {
                using var output = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write);
                using var input = response.Content.ReadAsStream(cancellation);
                input.CopyTo(output);
            }
            catch (IOException e)
            {
                throw new SentioException($"{remote.ContentUrl}: download of {remote.File} interrupted ({e.Message}); pull again to resume it", e);
            }
        }
        if (remote.IsLfs)
        {
            string actual;
            using (var stream = File.OpenRead(partial)) actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(actual, remote.ETag, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(partial);
                throw new SentioException($"{remote.ContentUrl}: sha256 of the downloaded {remote.File} is {actual}, but the hub announced {remote.ETag}; the partial download was deleted, pull again");
            }
        }
        File.Move(partial, blob, overwrite: true);
    }

    private HttpResponseMessage SendFollowingRedirects(Uri url, long offset, CancellationToken cancellation)
    {
        for (int hop = 0; hop < 10; hop++)
        {
            var response = Send(HttpMethod.Get, url, offset > 0 ? offset : null, cancellation);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                url = new Uri(url, location);
                response.Dispose();
                continue;
            }
            return response;
        }
        throw new SentioException($"{url}: more than 10 redirects");
    }

    private HttpResponseMessage Send(HttpMethod method, Uri url, long? rangeStart, CancellationToken cancellation)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.UserAgent.ParseAdd("sentio/1");
        // The token goes to the hub only, never to the storage host a download redirects to.
        if (options.Token is not null && string.Equals(url.Host, new Uri(options.Endpoint).Host, StringComparison.OrdinalIgnoreCase))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        if (rangeStart is { } start) request.Headers.Range = new RangeHeaderValue(start, null);
        try { return http.Send(request, HttpCompletionOption.ResponseHeadersRead, cancellation); }
        catch (HttpRequestException e) { throw new SentioException($"{url}: {e.Message}", e); }
        catch (TaskCanceledException e) when (!cancellation.IsCancellationRequested) { throw new SentioException($"{url}: timed out", e); }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault() : null;
}
