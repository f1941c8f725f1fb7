using System.CommandLine;
using Sentio.Checkpoints;

namespace Sentio.Cli;

/// <summary><c>sentio model pull</c>: Hugging Face model repositories into the local hub cache.</summary>
public static class ModelCommands
{
    public static Command Model(TextWriter output)
    {
        var repoId = new Argument<string>("repo-id") { Description = "The repository, e.g. sentence-transformers/all-MiniLM-L6-v2" };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit", DefaultValueFactory = _ => "main" };
        var endpoint = new Option<string?>("--endpoint") { Description = "Hub address (default: $HF_ENDPOINT, else https://huggingface.co)" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)" };
        var pull = new Command("pull", "Download config.json, tokenizer files and safetensors weights of a model repository into the hub cache; resumes partial downloads, verifies weights by sha256, honours HF_HUB_OFFLINE.")
        {
            repoId, revision, endpoint, cacheDir,
        };
        pull.SetAction(parse =>
        {
            var options = HubClientOptions.FromEnvironment();
            if (parse.GetValue(endpoint) is { } address) options = options with { Endpoint = address.TrimEnd('/') };
            if (parse.GetValue(cacheDir) is { } cache) options = options with { CacheDirectory = cache };
            using var client = new HubClient(options);
            var snapshot = client.Pull(parse.GetValue(repoId)!, parse.GetValue(revision)!);
            output.WriteLine($"{parse.GetValue(repoId)} @ {snapshot.Commit}: {string.Join(", ", snapshot.Files)}");
            output.WriteLine($"Model folder: {snapshot.Folder}");
            output.WriteLine($"Use it with: sentio predict --model-path {snapshot.Folder} --text \"...\", or as model.pretrained in a config");
            return 0;
        });
        return new Command("model", "Hugging Face model repositories.") { pull };
    }
}
