using static TorchSharp.torch;

namespace Sentio.Text;

/// <summary>TorchSharp tensors of an <see cref="EncodedBatch"/>, kept here because the batch itself lives in the
/// torch-free lean assembly beneath the library.</summary>
public static class EncodedBatchTensors
{
    /// <summary>The three int64 tensors a transformer takes, each [batch, seq].</summary>
    public static (Tensor InputIds, Tensor AttentionMask, Tensor TokenTypeIds) ToTensors(this EncodedBatch batch) =>
        (tensor(batch.InputIds, [batch.BatchSize, batch.SequenceLength]), tensor(batch.AttentionMask, [batch.BatchSize, batch.SequenceLength]),
         tensor(batch.TokenTypeIds, [batch.BatchSize, batch.SequenceLength]));
}
