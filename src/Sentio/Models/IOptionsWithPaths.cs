namespace Sentio.Models;

/// <summary>Model options that name files (word vectors, a pretrained folder, a vocabulary). Training stores them
/// absolute in the run's config.yaml, so the run reloads and resumes from any working directory.</summary>
public interface IOptionsWithPaths
{
    /// <summary>A copy with every relative path resolved against <paramref name="baseDirectory"/>.</summary>
    object WithAbsolutePaths(string baseDirectory);
}
