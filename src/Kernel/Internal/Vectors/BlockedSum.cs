using System.Runtime.CompilerServices;

namespace Xent.Internal.Vectors;

/// <summary>
/// Lane-wise sums that stay within a few roundings of the exact sum however many terms they take: a caller adds terms
/// plainly into a block of at most <see cref="BlockLength"/> terms per lane, then adds each block's sum to a total with
/// Neumaier's compensation (<see cref="Add"/>), and finishes with <see cref="Total"/>. So a row of 131,072 classes sums
/// as accurately as one of 256. (Static functions on values, not a struct with methods, so that the JIT keeps every
/// running sum in a register.)
/// </summary>
internal static unsafe class BlockedSum
{
    /// <summary>Doubles of a total held in memory (<see cref="AddTo"/>): eight lanes of total, then eight of compensation.</summary>
    public const int TotalDoubles = 16;

    /// <summary>Terms per lane summed plainly before the block joins the compensated total.</summary>
    public const int BlockLength = 32;

    /// <summary>(total, compensation) after adding <paramref name="block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (TD Total, TD Compensation) Add<TD>(TD total, TD compensation, TD block)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        TD t = total + block;
        TD larger = TD.GreaterThanOrEqual(TD.Abs(total), TD.Abs(block));
        return (t, compensation + TD.Select(larger, (total - t) + block, (block - t) + total));
    }

    /// <summary>The compensated lane sums; a lane whose total is infinite or NaN is that total (its compensation is meaningless).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TD Total<TD>(TD total, TD compensation)
        where TD : unmanaged, IDoubleBlock<TD> =>
        TD.Select(TD.Equal(total - total, TD.Create(0.0)), total + compensation, total);

    /// <summary>
    /// Adds <paramref name="block"/> to the compensated total held at <paramref name="totals"/> (<see cref="TotalDoubles"/>
    /// doubles, zeroed before the first block): the same arithmetic as <see cref="Add"/>, out of line, for loops whose
    /// registers are full (an inlined merge's temporaries sent a 256-bit loop's running sums to the stack on every step).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AddTo<TD>(double* totals, TD block)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        (TD total, TD compensation) = Add(TD.Load(totals), TD.Load(totals + 8), block);
        TD.Store(total, totals);
        TD.Store(compensation, totals + 8);
    }

    /// <summary>The lane sums of a total held in memory, added across lanes in the fixed order of <see cref="IDoubleBlock{TSelf}.Sum"/>.</summary>
    public static double SumOf<TD>(double* totals)
        where TD : unmanaged, IDoubleBlock<TD> =>
        TD.Sum(Total(TD.Load(totals), TD.Load(totals + 8)));
}
