using Sentio.Catalog;
using Sentio.Models;

namespace Sentio.Runs;

/// <summary><c>sentio export</c>: a trained transformer as a Hugging Face folder.</summary>
public static class ModelExport
{
    /// <param name="path">A run directory or a model folder.</param>
    /// <exception cref="SentioException">The path holds no transformer model, or a feature_extract one.</exception>
    public static void ToHuggingFace(string path, string outputFolder)
    {
        string modelFolder = RunDirectory.IsRunDirectory(path) ? new RunDirectory(path).Model : path;
        using var loaded = ModelCatalog.Load(modelFolder);
        if (loaded is not TransformerClassifier transformer)
            throw new SentioException($"{path}: the model is {loaded.Architecture}; only {TransformerClassifier.ArchitectureName} models export as a Hugging Face folder");
        transformer.ExportHuggingFace(outputFolder);
    }
}
