using System;

namespace Xent.Internal;

/// <summary>
/// A row-major tensor viewed as (outer, classes, inner): the class dimension sits between the product of the leading
/// dimensions (outer) and the product of the trailing ones (inner). PyTorch's (N, C) is (N, C, 1); (N, C, d1, ..., dk)
/// is (N, C, d1·…·dk); an unbatched (C) is (1, C, 1).
/// </summary>
internal readonly struct ClassLayout
{
    public readonly int Outer;
    public readonly int Classes;
    public readonly int Inner;

    private ClassLayout(int outer, int classes, int inner)
    {
        Outer = outer;
        Classes = classes;
        Inner = inner;
    }

    /// <summary>Number of positions (rows along the class dimension): outer × inner.</summary>
    public int Positions => Outer * Inner;

    /// <summary>Index of class 0 of position <paramref name="position"/>; class c sits at that index + c·Inner.</summary>
    public int RowStart(int position) =>
        Inner == 1 ? position * Classes : (position / Inner) * Classes * Inner + position % Inner;

    /// <summary>Validates <paramref name="inputLength"/>, <paramref name="classes"/> and <paramref name="inner"/> and builds the layout.</summary>
    public static ClassLayout Create(int inputLength, int classes, int inner, string inputName = "input")
    {
        if (classes <= 0)
        {
            ThrowHelper.ClassesNotPositive(classes);
        }

        if (inner <= 0)
        {
            ThrowHelper.InnerNotPositive(inner);
        }

        long block = (long)classes * inner;
        if (inputLength % block != 0)
        {
            ThrowHelper.InputLengthNotWholeRows(inputLength, classes, inner, inputName);
        }

        return new ClassLayout((int)(inputLength / block), classes, inner);
    }
}
