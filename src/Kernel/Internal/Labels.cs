using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Xent.Internal;

/// <summary>
/// Class-index targets of any integer type (<c>int</c>, <c>long</c>, <c>byte</c>, <c>ushort</c>, ...) as the loops see
/// them: the class of a position, or −1 where the target is the ignore index. Built by <see cref="Of{TLabel}"/> after
/// <see cref="Validate{TLabel, T}"/> has checked every target, so a target that is not ignored is a class in [0, C) and
/// reading it needs no check. One reader for every label type: the loops are not generic over it.
/// </summary>
internal readonly unsafe struct Labels
{
    private readonly byte* _data;
    private readonly int _size;
    private readonly bool _signed;
    private readonly long _ignoreIndex;

    private Labels(byte* data, int size, bool signed, long ignoreIndex)
    {
        _data = data;
        _size = size;
        _signed = signed;
        _ignoreIndex = ignoreIndex;
    }

    /// <summary>Whether the reader has targets (false for probability targets).</summary>
    public bool HasTargets => _data != null;

    /// <summary>The reader of validated targets at <paramref name="data"/> (pinned by the caller for the reader's life).</summary>
    public static Labels Of<TLabel>(TLabel* data, long ignoreIndex)
        where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        new((byte*)data, sizeof(TLabel), TLabel.IsNegative(TLabel.Zero - TLabel.One), ignoreIndex);

    /// <summary>The reader of the targets from <paramref name="position"/> on (a block of rows).</summary>
    public Labels From(nint position) => new(_data + position * _size, _size, _signed, _ignoreIndex);

    /// <summary>The class of the target at <paramref name="position"/>, or −1 where it is the ignore index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ClassOf(nint position)
    {
        long value = _size switch
        {
            1 => _signed ? ((sbyte*)_data)[position] : _data[position],
            2 => _signed ? ((short*)_data)[position] : ((ushort*)_data)[position],
            4 => _signed ? ((int*)_data)[position] : ((uint*)_data)[position],
            _ => ((long*)_data)[position],
        };
        return value == _ignoreIndex ? -1 : (int)value;
    }

    /// <summary>
    /// Checks every target: each equals <paramref name="ignoreIndex"/> (compared exactly, whatever the type) or is a class
    /// in [0, <paramref name="classes"/>). Returns Σ w[t] over the targets that count (the mean's normalizer; their count
    /// when <paramref name="weight"/> is empty) and how many count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The first target that is neither, named with its position and value.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="TLabel"/> is wider than 8 bytes (Int128, UInt128).</exception>
    public static unsafe (double WeightSum, long Count) Validate<TLabel, T>(ReadOnlySpan<TLabel> target, int classes, long ignoreIndex, ReadOnlySpan<T> weight)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
        where T : IFloatingPointIeee754<T>
    {
        if (sizeof(TLabel) is not (1 or 2 or 4 or 8))
        {
            throw new ArgumentException(
                $"Class indices of {typeof(TLabel).Name} ({sizeof(TLabel)} bytes) are not supported: use an integer type of 1, 2, 4 or 8 bytes (byte, short, ushort, int, uint, long, ulong).",
                "target");
        }

        CompensatedSum weightSum = default;
        long count = 0;
        for (int p = 0; p < target.Length; p++)
        {
            // Saturating: a value beyond long's range (a ulong above 2⁶³) is out of range and never the ignore index.
            TLabel label = target[p];
            long value = long.CreateSaturating(label);
            if (value == ignoreIndex && TLabel.CreateSaturating(ignoreIndex) == label)
            {
                continue;
            }

            if ((ulong)value >= (ulong)classes)
            {
                ThrowHelper.TargetOutOfRange(label.ToString() ?? string.Empty, classes, p, label);
            }

            weightSum.Add(WeightValues.Of(weight, (int)value));
            count++;
        }

        return (weightSum.Value, count);
    }

    /// <summary>The first byte of a span of labels, for pinning with the data of other spans.</summary>
    public static ref byte FirstByte<TLabel>(ReadOnlySpan<TLabel> span)
        where TLabel : unmanaged =>
        ref Unsafe.As<TLabel, byte>(ref MemoryMarshal.GetReference(span));
}
