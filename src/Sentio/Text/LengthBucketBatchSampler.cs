namespace Sentio.Text;

/// <summary>Groups examples of similar length into batches so that dynamic padding wastes little: indices are
/// shuffled, cut into chunks of <c>batchSize × chunkBatches</c>, each chunk sorted by length and cut into batches,
/// and the batches shuffled. The same seed gives the same batches.</summary>
public static class LengthBucketBatchSampler
{
    /// <summary>Batches of example indices: [examples] lengths → batches covering each index exactly once.</summary>
    /// <param name="lengths">Encoded length of each example.</param>
    /// <param name="batchSize">Examples per batch (the last batch of a chunk may be smaller).</param>
    /// <param name="chunkBatches">Batches per sorted chunk: larger groups lengths more tightly, smaller shuffles more.</param>
    /// <param name="seed">Seed of both shuffles.</param>
    /// <exception cref="ArgumentOutOfRangeException">batchSize or chunkBatches below 1.</exception>
    public static IReadOnlyList<int[]> Batches(IReadOnlyList<int> lengths, int batchSize, int chunkBatches, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBatches, 1);
        var random = new Random(seed);
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        random.Shuffle(order);
        var batches = new List<int[]>();
        foreach (var chunk in order.Chunk(batchSize * chunkBatches))
            batches.AddRange(chunk.OrderBy(i => lengths[i]).Chunk(batchSize));
        var shuffled = batches.ToArray();
        random.Shuffle(shuffled);
        return shuffled;
    }
}
