using System.Runtime.CompilerServices;

namespace Xent.Internal.Vectors;

/// <summary>
/// A lane-wise running sum that stays within a few roundings of the exact sum however many terms it takes: terms
/// are added plainly into a block of at most <see cref="BlockLength"/> terms per lane, and each block's sum is added
/// to the total with Neumaier's compensation. So a row of 131,072 classes sums as accurately as one of 256.
/// </summary>
internal struct BlockedSum<TD>
    where TD : unmanaged, IDoubleBlock<TD>
{
    /// <summary>Terms per lane summed plainly before the block joins the compensated total.</summary>
    public const int BlockLength = 32;

    private TD _block;
    private TD _total;
    private TD _compensation;
    private int _count;

    public static BlockedSum<TD> Zero => new()
    {
        _block = TD.Create(0.0),
        _total = TD.Create(0.0),
        _compensation = TD.Create(0.0),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(TD terms)
    {
        _block += terms;
        if (++_count == BlockLength)
        {
            Flush();
        }
    }

    /// <summary>The compensated lane sums; a lane whose total is infinite or NaN is that total (the compensation is then meaningless).</summary>
    public TD Total()
    {
        Flush();
        TD finite = TD.Equal(_total - _total, TD.Create(0.0));
        return TD.Select(finite, _total + _compensation, _total);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Flush()
    {
        TD t = _total + _block;
        TD larger = TD.GreaterThanOrEqual(TD.Abs(_total), TD.Abs(_block));
        _compensation += TD.Select(larger, (_total - t) + _block, (_block - t) + _total);
        _total = t;
        _block = TD.Create(0.0);
        _count = 0;
    }
}
