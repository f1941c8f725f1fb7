using TorchSharp;

namespace Sentio.Training;

/// <summary>Sets torch's intra-op thread count for a scope and restores the previous count when disposed, so a library
/// call never leaves process-wide state changed behind it (the host sets the default once).</summary>
public sealed class TorchThreads : IDisposable
{
    private readonly int previous;

    private TorchThreads(int threads)
    {
        previous = torch.get_num_threads();
        if (threads > 0 && threads != previous) torch.set_num_threads(threads);
    }

    /// <param name="threads">Threads within the scope; 0 keeps the current count.</param>
    public static TorchThreads Use(int threads) => new(threads);

    public void Dispose()
    {
        if (torch.get_num_threads() != previous) torch.set_num_threads(previous);
    }
}
