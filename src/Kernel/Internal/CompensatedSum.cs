using System.Runtime.CompilerServices;

namespace Xent.Internal;

/// <summary>
/// Neumaier's compensated summation in double: the error of a sum of n terms stays near one rounding of the result,
/// independent of n, so reductions over many rows keep float32 results within an ulp or two of the float64 truth.
/// </summary>
internal struct CompensatedSum
{
    private double _sum;
    private double _compensation;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(double value)
    {
        double t = _sum + value;
        if (double.Abs(_sum) >= double.Abs(value))
        {
            _compensation += (_sum - t) + value;
        }
        else
        {
            _compensation += (value - t) + _sum;
        }

        _sum = t;
    }

    /// <summary>The compensated total. Infinities and NaN propagate as in a plain sum.</summary>
    public readonly double Value
    {
        get
        {
            double total = _sum + _compensation;
            // With an infinite or NaN term the compensation becomes NaN (inf - inf); the plain sum is then the answer.
            return double.IsFinite(_sum) ? total : _sum;
        }
    }
}
