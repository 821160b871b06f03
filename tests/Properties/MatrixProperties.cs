using System;
using System.Globalization;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xent.Internal.Matrix;
using Xunit;

namespace Xent.Properties;

/// <summary>
/// A matrix product C (m × n) = A (m × k) · B (k × n), with either operand stored transposed, leading dimensions
/// padded by <see cref="Padding"/> elements, and C either overwritten or accumulated into.
/// </summary>
public sealed record MatrixCase(int M, int N, int K, bool TransposeA, bool TransposeB, bool Accumulate, int Padding, int Seed)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"C[{M}×{N}] {(Accumulate ? "+=" : "=")} A{(TransposeA ? "ᵀ" : "")}·B{(TransposeB ? "ᵀ" : "")}, k = {K}, padding {Padding}, seed {Seed}");
}

/// <summary>Shapes of 1, primes and sizes around the tile widths (6, 12, 8, 16, 32) and the blocks (depth 256, 144 and 288 rows).</summary>
public class MatrixGenerators
{
    private static readonly int[] Small = [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 63, 64, 65, 97];

    private static readonly int[] Blocks = [143, 144, 145, 255, 256, 257, 287, 288, 289, 300, 513];

    private static Gen<int> Dimension() => Gen.Frequency((5, Gen.Elements(Small)), (1, Gen.Elements(Blocks)));

    public static Arbitrary<MatrixCase> Cases() => Arb.From(
        from m in Dimension()
        from n in Dimension()
        from k in Gen.Frequency((1, Gen.Constant(0)), (6, Dimension()))
        from ta in Gen.Elements(false, true)
        from tb in Gen.Elements(false, true)
        from accumulate in Gen.Elements(false, true)
        from padding in Gen.Elements(0, 0, 1, 5)
        from seed in Gen.Choose(0, int.MaxValue)
        select new MatrixCase(m, n, k, ta, tb, accumulate, padding, seed));
}

/// <summary>
/// The matrix-multiply kernel (<see cref="Gemm"/>): every element is C + Σ over depth blocks of 256, in order, of one
/// chain of multiply-adds in k order (fused where the machine has fused multiply-add) — the same bits at every vector
/// width, tile shape and thread count — and nothing outside C's m × n elements is written.
/// </summary>
[Properties(Arbitrary = new[] { typeof(MatrixGenerators) })]
public class MatrixProperties
{
    /// <summary>The operands and C, laid out as the case says, with values of varied magnitude so that rounding shows.</summary>
    private sealed class Operands<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly T[] A;
        public readonly T[] B;
        public readonly T[] C;
        public readonly int Lda;
        public readonly int Ldb;
        public readonly int Ldc;

        public Operands(MatrixCase c)
        {
            var random = new Random(c.Seed);
            Lda = (c.TransposeA ? c.M : c.K) + c.Padding;
            Ldb = (c.TransposeB ? c.K : c.N) + c.Padding;
            Ldc = c.N + c.Padding;
            A = Fill(random, (c.TransposeA ? c.K : c.M) * Lda);
            B = Fill(random, (c.TransposeB ? c.N : c.K) * Ldb);
            C = Fill(random, c.M * Ldc);
        }

        private static T[] Fill(Random random, int count)
        {
            var values = new T[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = T.CreateTruncating((random.NextDouble() - 0.5) * Math.ScaleB(1.0, random.Next(-4, 5)));
            }

            return values;
        }

        public T ElementA(MatrixCase c, int i, int p) => c.TransposeA ? A[p * Lda + i] : A[i * Lda + p];

        public T ElementB(MatrixCase c, int p, int j) => c.TransposeB ? B[j * Ldb + p] : B[p * Ldb + j];
    }

    private static unsafe T[] Multiply<T>(MatrixCase c, Operands<T> o, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] result = (T[])o.C.Clone();
        int saved = Functional.MaxDegreeOfParallelism;
        Functional.MaxDegreeOfParallelism = threads;
        try
        {
            fixed (T* a = o.A, b = o.B, r = result)
            {
                var viewA = c.TransposeA ? Strided<T>.Transposed(a, o.Lda) : Strided<T>.RowMajor(a, o.Lda);
                var viewB = c.TransposeB ? Strided<T>.Transposed(b, o.Ldb) : Strided<T>.RowMajor(b, o.Ldb);
                Gemm.Multiply(c.M, c.N, c.K, viewA, viewB, r, o.Ldc, c.Accumulate);
            }
        }
        finally
        {
            Functional.MaxDegreeOfParallelism = saved;
        }

        return result;
    }

    /// <summary>The documented arithmetic, element by element, in scalar code.</summary>
    private static T[] Reference<T>(MatrixCase c, Operands<T> o)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] result = (T[])o.C.Clone();
        bool fused = Fused.InHardware;
        for (int i = 0; i < c.M; i++)
        {
            for (int j = 0; j < c.N; j++)
            {
                T value = c.Accumulate ? o.C[i * o.Ldc + j] : T.Zero;
                for (int p0 = 0; p0 < c.K; p0 += Gemm.Depth)
                {
                    T sum = T.Zero;
                    for (int p = p0; p < Math.Min(c.K, p0 + Gemm.Depth); p++)
                    {
                        T x = o.ElementA(c, i, p), y = o.ElementB(c, p, j);
                        sum = fused ? T.FusedMultiplyAdd(x, y, sum) : (x * y) + sum;
                    }

                    value = p0 == 0 && !c.Accumulate ? sum : value + sum;
                }

                result[i * o.Ldc + j] = value;
            }
        }

        return result;
    }

    private static void AssertSameBits<T>(T[] expected, T[] actual, MatrixCase c, int ldc, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int e = 0; e < expected.Length; e++)
        {
            if (!expected[e].Equals(actual[e]))
            {
                int i = e / ldc, j = e % ldc;
                string where = j < c.N ? $"C[{i}, {j}]" : $"padding element {e} (row {i}, column {j})";
                throw new Xunit.Sdk.XunitException($"{what}: {where} is {actual[e]} where {expected[e]} was expected, for {c}");
            }
        }
    }

    private static void Check<T>(MatrixCase c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var operands = new Operands<T>(c);
        T[] expected = Reference(c, operands);
        AssertSameBits(expected, Multiply(c, operands, 1), c, operands.Ldc, $"{typeof(T).Name}, 1 thread");
        AssertSameBits(expected, Multiply(c, operands, 2), c, operands.Ldc, $"{typeof(T).Name}, 2 threads");
        AssertSameBits(expected, Multiply(c, operands, 3), c, operands.Ldc, $"{typeof(T).Name}, 3 threads");
    }

    /// <summary>Float: the documented bits at 1, 2 and 3 threads, C's padding untouched.</summary>
    [Property(MaxTest = 60)]
    public void Float_IsTheBlockedSumOfEveryElement_AtEveryThreadCount(MatrixCase c) => Check<float>(c);

    /// <summary>Double: the documented bits at 1, 2 and 3 threads, C's padding untouched.</summary>
    [Property(MaxTest = 60)]
    public void Double_IsTheBlockedSumOfEveryElement_AtEveryThreadCount(MatrixCase c) => Check<double>(c);

    /// <summary>Products wider than one packed panel of B (2048 float columns, 1024 double), taller than the rows of A packed at once (2304 float rows, 1152 double) and deeper than one block.</summary>
    [Theory]
    [InlineData(7, 2100, 300, false, false)]
    [InlineData(13, 2049, 5, true, true)]
    [InlineData(290, 1030, 3, false, true)]
    [InlineData(2310, 7, 300, true, false)]
    [InlineData(2305, 33, 2, false, false)]
    public void WidePanels_AreTheBlockedSum(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var c = new MatrixCase(m, n, k, transposeA, transposeB, Accumulate: true, Padding: 3, Seed: m * n + k);
        Check<float>(c);
        Check<double>(c);
    }

    /// <summary>Against the product in double, float's result is within k·u·Σ|a·b| (a loose form of the standard bound), so the reference above is no copy of a wrong formula.</summary>
    [Property(MaxTest = 30)]
    public void Float_IsWithinTheStandardBound_OfTheProductInDouble(MatrixCase c)
    {
        var o = new Operands<float>(c);
        float[] actual = Multiply(c, o, 2);
        for (int i = 0; i < c.M; i++)
        {
            for (int j = 0; j < c.N; j++)
            {
                double exact = c.Accumulate ? o.C[i * o.Ldc + j] : 0.0, magnitude = Math.Abs(exact);
                for (int p = 0; p < c.K; p++)
                {
                    double term = (double)o.ElementA(c, i, p) * o.ElementB(c, p, j);
                    exact += term;
                    magnitude += Math.Abs(term);
                }

                double bound = (c.K + 2) * Math.ScaleB(1.0, -24) * magnitude;
                Tolerance.Require(
                    Math.Abs(actual[i * o.Ldc + j] - exact) <= bound,
                    $"C[{i}, {j}] = {Tolerance.R(actual[i * o.Ldc + j])}, exact {Tolerance.R(exact)}, bound {Tolerance.R(bound)}, for {c}");
            }
        }
    }
}
