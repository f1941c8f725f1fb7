namespace Sentio.Tests;

/// <summary>Tests that seed torch's process-wide generator (initialisation, dropout) and compare results run alone:
/// a test seeding it on another thread would otherwise change their random stream.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRandomCollection
{
    public const string Name = "torch global random state";
}
