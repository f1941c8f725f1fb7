namespace Sentio.Text;

/// <summary>A sparse matrix in compressed sparse row form: row r's entries are
/// <c>Columns[RowStarts[r]..RowStarts[r+1]]</c> with <c>Values</c> alongside. Shape [Rows, ColumnCount].</summary>
public sealed class CsrMatrix(int[] rowStarts, int[] columns, float[] values, int columnCount)
{
    public int[] RowStarts { get; } = rowStarts;
    public int[] Columns { get; } = columns;
    public float[] Values { get; } = values;
    public int ColumnCount { get; } = columnCount;
    public int Rows => RowStarts.Length - 1;
    public long NonZeros => RowStarts[^1];

    /// <summary>Places blocks side by side: [rows, c1] | [rows, c2] → [rows, c1 + c2]. All blocks must have the same rows.</summary>
    /// <param name="parallel">Bounds the worker threads; null: all cores.</param>
    public static CsrMatrix HorizontalStack(IReadOnlyList<CsrMatrix> blocks, ParallelOptions? parallel = null)
    {
        int rows = blocks[0].Rows;
        if (blocks.Any(b => b.Rows != rows)) throw new ArgumentException("Blocks differ in row count.", nameof(blocks));
        var starts = new int[rows + 1];
        for (int r = 0; r < rows; r++)
            starts[r + 1] = starts[r] + blocks.Sum(b => b.RowStarts[r + 1] - b.RowStarts[r]);
        var columns = new int[starts[rows]];
        var values = new float[starts[rows]];
        Parallel.For(0, rows, parallel ?? new ParallelOptions(), r =>
        {
            int at = starts[r], offset = 0;
            foreach (var block in blocks)
            {
                for (int k = block.RowStarts[r]; k < block.RowStarts[r + 1]; k++, at++)
                {
                    columns[at] = block.Columns[k] + offset;
                    values[at] = block.Values[k];
                }
                offset += block.ColumnCount;
            }
        });
        return new CsrMatrix(starts, columns, values, blocks.Sum(b => b.ColumnCount));
    }
}
