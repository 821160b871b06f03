using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Xent.Internal;
using Xent.Internal.Rows;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Large-vocabulary cross entropy with every per-row result from one read of the logits: for each row n with target
    /// yₙ ≠ ignore index and soft-capped logits zₙⱼ = cap·tanh(xₙⱼ / cap) (zₙⱼ = xₙⱼ without a cap),
    /// lseₙ = log Σⱼ exp(zₙⱼ), ℓₙ = (1 − ε)·(lseₙ − zₙ,yₙ) + (ε / C)·Σⱼ (lseₙ − zₙⱼ) + λ·lseₙ², the z-loss λ·lseₙ²,
    /// the prediction argmaxⱼ zₙⱼ and whether it equals yₙ. The summary reduces ℓ and the z-loss over the n counted rows
    /// (mean Σ/n or sum) and gives the token accuracy (correct / n). Liger-Kernel's <c>LigerCrossEntropyLoss</c>
    /// (<c>lse_square_scale</c>, <c>softcap</c>, <c>return_z_loss</c>, <c>return_token_accuracy</c>); with the default
    /// options the loss is PyTorch's <c>cross_entropy(input, target)</c>.
    /// </summary>
    /// <typeparam name="T">float, double or Half (any IEEE 754 type); rows are computed in double.</typeparam>
    /// <param name="input">Logits (N, C) row-major: N = <paramref name="target"/>.Length rows of <paramref name="classes"/> values.</param>
    /// <param name="target">One class index per row, in [0, C) or equal to <see cref="CrossEntropyOptions.IgnoreIndex"/>.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="options">Ignore index, reduction, label smoothing ε, z-loss scale λ, soft cap and empty-mean rule; null for <see cref="CrossEntropyOptions.Default"/>.</param>
    /// <param name="rows">Empty, or at least N entries that receive each row's <see cref="CrossEntropyRow"/> (ignored rows: loss 0, prediction −1).</param>
    /// <returns>The reduced loss (z-loss included), the reduced z-loss, the counted rows, the correct predictions and the accuracy, in double.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is less than 1; a target is outside [0, C) and is not the ignore index.</exception>
    /// <exception cref="ArgumentException">The input length is not N × C; <paramref name="rows"/> is neither empty nor at least N long.</exception>
    /// <remarks>
    /// <para>One pass: the row maximum and its position, then one exponential per element, as for the loss alone; the
    /// float path (AVX-512, no soft cap) is the fused kernel of <see cref="CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>,
    /// runs on up to <see cref="MaxDegreeOfParallelism"/> threads and, without smoothing or z-loss, gives the same loss
    /// bit for bit when C &gt; 16 (below, where the loss-only path vectorizes across rows, the two agree
    /// within that path's documented error bound). Results never
    /// depend on the number of threads.</para>
    /// <para>Special values as <see cref="CrossEntropy{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>:
    /// a row holding NaN or +∞, or only −∞, has a NaN loss; its prediction follows <c>torch.argmax</c> (the first NaN,
    /// else the first largest). With no counted row the mean and the accuracy are NaN, or 0 under <see cref="EmptyMean.Zero"/>.</para>
    /// </remarks>
    public static CrossEntropySummary CrossEntropyDetailed<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        int classes,
        CrossEntropyOptions? options = null,
        Span<CrossEntropyRow> rows = default)
        where T : IFloatingPointIeee754<T>
    {
        options ??= CrossEntropyOptions.Default;
        long count = ValidateDetailed(input.Length, target, classes, options, rows);
        return Summarize(DetailedBlock(input, target, classes, options, rows, default, 0.0), count, options);
    }

    /// <summary>
    /// <see cref="CrossEntropyDetailed{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>
    /// and its gradient ∂L/∂xₙⱼ = g·s·(1 − (zₙⱼ / cap)²)·(softmax(zₙ)ⱼ·(1 + 2λ·lseₙ) − ε / C − (1 − ε)·[j = yₙ]) in the
    /// same pass, with s = 1 / n (mean) or 1 (sum), g = <paramref name="gradOutput"/>, and the cap factor 1 without a cap;
    /// ignored rows get 0.
    /// </summary>
    /// <typeparam name="T">float, double or Half (any IEEE 754 type).</typeparam>
    /// <param name="input">Logits (N, C) row-major.</param>
    /// <param name="target">One class index per row, in [0, C) or equal to the ignore index.</param>
    /// <param name="gradient">Receives ∂L/∂input, at least N × C values; must not overlap <paramref name="input"/>.</param>
    /// <param name="classes">C, at least 1.</param>
    /// <param name="options">The options; null for <see cref="CrossEntropyOptions.Default"/>.</param>
    /// <param name="rows">Empty, or at least N entries that receive each row's results.</param>
    /// <param name="gradOutput">g, the upstream gradient of the reduced loss (1 by default).</param>
    /// <returns>The summary, as the loss-only overload.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As the loss-only overload.</exception>
    /// <exception cref="ArgumentException">As the loss-only overload; also <paramref name="gradient"/> is too short or overlaps <paramref name="input"/>. Nothing is written when an exception is thrown.</exception>
    /// <remarks>
    /// On the float path each exponential is computed once, stored in the gradient and rescaled there (a float gradient
    /// is rounded twice, as in <see cref="CrossEntropyWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Reduction, ReadOnlySpan{T}, int, double, int, EmptyMean)"/>).
    /// The soft cap's chain factor 1 − tanh² is computed from the capped logit. A row with a NaN loss has a NaN gradient.
    /// </remarks>
    public static CrossEntropySummary CrossEntropyDetailedWithGradient<T>(
        ReadOnlySpan<T> input,
        ReadOnlySpan<int> target,
        Span<T> gradient,
        int classes,
        CrossEntropyOptions? options = null,
        Span<CrossEntropyRow> rows = default,
        double gradOutput = 1.0)
        where T : IFloatingPointIeee754<T>
    {
        options ??= CrossEntropyOptions.Default;
        long count = ValidateDetailed(input.Length, target, classes, options, rows);
        ValidateDetailedGradient(gradient, input);
        double scale = GradientScale(options, count, gradOutput);
        return Summarize(DetailedBlock(input, target, classes, options, rows, gradient, scale), count, options);
    }

    /// <summary>
    /// <see cref="CrossEntropyDetailed{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, CrossEntropyOptions?, Span{CrossEntropyRow})"/>
    /// over logits of any size, including more than 2³¹ elements (for example 8192 × 262144): the same results, computed
    /// over blocks of whole rows of at most 2³¹ − 1 elements, with sums combined in block order.
    /// </summary>
    /// <typeparam name="T">float, double or Half (any IEEE 754 type).</typeparam>
    /// <param name="input">Logits of shape (N, C), dense and row-major (strides C and 1); C at most 2³¹ − 1.</param>
    /// <param name="target">One class index per row (N values), in [0, C) or equal to the ignore index.</param>
    /// <param name="options">The options; null for <see cref="CrossEntropyOptions.Default"/>.</param>
    /// <param name="rows">Empty, or at least N entries that receive each row's results.</param>
    /// <returns>The summary, as the span overload.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As the span overload.</exception>
    /// <exception cref="ArgumentException"><paramref name="input"/> is not two-dimensional, not dense row-major, has no class or more than 2³¹ − 1 classes, or has a row count other than N; otherwise as the span overload.</exception>
    public static CrossEntropySummary CrossEntropyDetailed<T>(
        ReadOnlyTensorSpan<T> input,
        ReadOnlySpan<int> target,
        CrossEntropyOptions? options = null,
        Span<CrossEntropyRow> rows = default)
        where T : IFloatingPointIeee754<T>
    {
        options ??= CrossEntropyOptions.Default;
        int classes = ValidateMatrix(input, target.Length, "input");
        long count = ValidateDetailed(target.Length, classes, target, options, rows);
        return Summarize(DetailedBlocks(input, target, classes, options, rows, default, 0.0), count, options);
    }

    /// <summary>
    /// <see cref="CrossEntropyDetailedWithGradient{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, CrossEntropyOptions?, Span{CrossEntropyRow}, double)"/>
    /// over logits of any size, including more than 2³¹ elements, computed over blocks of whole rows.
    /// </summary>
    /// <typeparam name="T">float, double or Half (any IEEE 754 type).</typeparam>
    /// <param name="input">Logits of shape (N, C), dense and row-major.</param>
    /// <param name="target">One class index per row, in [0, C) or equal to the ignore index.</param>
    /// <param name="gradient">Receives ∂L/∂input: the same shape, dense and row-major, not overlapping <paramref name="input"/>.</param>
    /// <param name="options">The options; null for <see cref="CrossEntropyOptions.Default"/>.</param>
    /// <param name="rows">Empty, or at least N entries that receive each row's results.</param>
    /// <param name="gradOutput">The upstream gradient of the reduced loss (1 by default).</param>
    /// <returns>The summary, as the span overload.</returns>
    /// <exception cref="ArgumentOutOfRangeException">As the span overload.</exception>
    /// <exception cref="ArgumentException">As the loss-only tensor overload; also <paramref name="gradient"/> has another shape, is not dense row-major or overlaps <paramref name="input"/>.</exception>
    public static CrossEntropySummary CrossEntropyDetailedWithGradient<T>(
        ReadOnlyTensorSpan<T> input,
        ReadOnlySpan<int> target,
        TensorSpan<T> gradient,
        CrossEntropyOptions? options = null,
        Span<CrossEntropyRow> rows = default,
        double gradOutput = 1.0)
        where T : IFloatingPointIeee754<T>
    {
        options ??= CrossEntropyOptions.Default;
        int classes = ValidateMatrix(input, target.Length, "input");
        long count = ValidateDetailed(target.Length, classes, target, options, rows);
        ValidateMatrix((ReadOnlyTensorSpan<T>)gradient, target.Length, "gradient");
        if (gradient.Lengths[1] != classes)
        {
            throw new ArgumentException(
                $"The gradient must have the input's shape ({target.Length} × {classes}); got {gradient.Lengths[0]} × {gradient.Lengths[1]}.", nameof(gradient));
        }

        if (Overlaps(input, gradient))
        {
            ThrowHelper.Overlaps(nameof(gradient), nameof(input));
        }

        double scale = GradientScale(options, count, gradOutput);
        return Summarize(DetailedBlocks(input, target, classes, options, rows, gradient, scale), count, options);
    }

    /// <summary>Sums of one block of rows: Σ ℓ and Σ z-loss (compensated, in chunk order) and the correct count.</summary>
    private readonly record struct DetailedSums(double Loss, double ZLoss, long Correct);

    private static long ValidateDetailed(int inputLength, ReadOnlySpan<int> target, int classes, CrossEntropyOptions options, Span<CrossEntropyRow> rows)
    {
        ClassLayout layout = ClassLayout.Create(inputLength, classes, 1);
        if (target.Length != layout.Positions)
        {
            ThrowHelper.TargetLengthMismatch(target.Length, layout.Positions);
        }

        return ValidateDetailed(target.Length, classes, target, options, rows);
    }

    /// <summary>Validates the targets and the rows span for N rows of C classes; returns the count of rows not ignored.</summary>
    private static long ValidateDetailed(int rowCount, int classes, ReadOnlySpan<int> target, CrossEntropyOptions options, Span<CrossEntropyRow> rows)
    {
        long count = CountTargets(target, classes, options.IgnoreIndex);
        if (!rows.IsEmpty && rows.Length < rowCount)
        {
            throw new ArgumentException(
                $"Rows must be empty or hold one entry per row ({rowCount}); it holds {rows.Length}.", nameof(rows));
        }

        return count;
    }

    /// <summary>Checks every target against [0, C) and the ignore index; returns how many are not ignored.</summary>
    private static long CountTargets(ReadOnlySpan<int> target, int classes, int ignoreIndex) =>
        ValidateTargets(target, classes, ignoreIndex, ReadOnlySpan<double>.Empty).Count;

    private static void ValidateDetailedGradient<T>(Span<T> gradient, ReadOnlySpan<T> input)
    {
        if (gradient.Length < input.Length)
        {
            ThrowHelper.GradientTooShort(gradient.Length, input.Length);
        }

        if (gradient[..input.Length].Overlaps(input))
        {
            ThrowHelper.Overlaps(nameof(gradient), nameof(input));
        }
    }

    /// <summary>The class count of a dense row-major (N, C) tensor span with N = <paramref name="rowCount"/>.</summary>
    private static int ValidateMatrix<T>(ReadOnlyTensorSpan<T> matrix, int rowCount, string paramName)
    {
        if (matrix.Rank != 2)
        {
            throw new ArgumentException($"Expected a two-dimensional (N, C) tensor; got rank {matrix.Rank}.", paramName);
        }

        nint n = matrix.Lengths[0];
        nint c = matrix.Lengths[1];
        if (c < 1 || c > int.MaxValue)
        {
            throw new ArgumentException($"The class dimension must hold between 1 and {int.MaxValue} classes; got {c}.", paramName);
        }

        if (n != rowCount)
        {
            throw new ArgumentException($"Expected one target per row: {paramName} has {n} rows but target has {rowCount} elements.", paramName);
        }

        if (n > 1 && matrix.Strides[0] != c || c > 1 && matrix.Strides[1] != 1)
        {
            throw new ArgumentException(
                $"{paramName} must be dense and row-major (strides {c} and 1); got strides {matrix.Strides[0]} and {matrix.Strides[1]}.", paramName);
        }

        return (int)c;
    }

    private static unsafe bool Overlaps<T>(ReadOnlyTensorSpan<T> input, TensorSpan<T> gradient)
    {
        if (input.FlattenedLength == 0 || gradient.FlattenedLength == 0)
        {
            return false;
        }

        nint size = Unsafe.SizeOf<T>();
        nint a = (nint)Unsafe.AsPointer(ref Unsafe.AsRef(in input.GetPinnableReference()));
        nint b = (nint)Unsafe.AsPointer(ref gradient.GetPinnableReference());
        return a < b + gradient.FlattenedLength * size && b < a + input.FlattenedLength * size;
    }

    private static double GradientScale(CrossEntropyOptions options, long count, double gradOutput) =>
        options.Reduction == Reduction.Mean ? (count == 0 ? 0.0 : gradOutput / count) : gradOutput;

    private static CrossEntropySummary Summarize(DetailedSums sums, long count, CrossEntropyOptions options)
    {
        double empty = options.EmptyMean == EmptyMean.Zero ? 0.0 : double.NaN;
        double divisor = options.Reduction == Reduction.Mean ? count : 1.0;
        double loss = options.Reduction == Reduction.Mean && count == 0 ? empty : sums.Loss / divisor;
        double zLoss = options.Reduction == Reduction.Mean && count == 0 ? empty : sums.ZLoss / divisor;
        double accuracy = count == 0 ? empty : (double)sums.Correct / count;
        return new CrossEntropySummary(loss, zLoss, count, sums.Correct, accuracy);
    }

    /// <summary>Runs <see cref="DetailedBlock{T}"/> over blocks of whole rows of at most 2³¹ − 1 elements each.</summary>
    private static DetailedSums DetailedBlocks<T>(
        ReadOnlyTensorSpan<T> input, ReadOnlySpan<int> target, int classes, CrossEntropyOptions options,
        Span<CrossEntropyRow> rows, TensorSpan<T> gradient, double scale)
        where T : IFloatingPointIeee754<T>
    {
        int rowCount = target.Length;
        int rowsPerBlock = Math.Max(1, int.MaxValue / classes);
        ref T x0 = ref Unsafe.AsRef(in input.GetPinnableReference());
        ref T g0 = ref gradient.IsEmpty ? ref Unsafe.NullRef<T>() : ref gradient.GetPinnableReference();
        CompensatedSum loss = default;
        CompensatedSum zLoss = default;
        long correct = 0;
        for (int first = 0; first < rowCount; first += rowsPerBlock)
        {
            int count = Math.Min(rowsPerBlock, rowCount - first);
            nint offset = (nint)first * classes;
            int length = count * classes;
            ReadOnlySpan<T> block = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref x0, offset), length);
            Span<T> gradientBlock = gradient.IsEmpty ? default : MemoryMarshal.CreateSpan(ref Unsafe.Add(ref g0, offset), length);
            DetailedSums sums = DetailedBlock(block, target.Slice(first, count), classes, options,
                rows.IsEmpty ? default : rows.Slice(first, count), gradientBlock, scale);
            loss.Add(sums.Loss);
            zLoss.Add(sums.ZLoss);
            correct += sums.Correct;
        }

        return new DetailedSums(loss.Value, zLoss.Value, correct);
    }

    /// <summary>
    /// One block of contiguous rows (at most <see cref="int.MaxValue"/> elements) through the row engine: the statistic
    /// pass, the finish, the gradient (scaled by <paramref name="scale"/>) and the per-row results.
    /// </summary>
    private static unsafe DetailedSums DetailedBlock<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<int> target, int classes, CrossEntropyOptions options,
        Span<CrossEntropyRow> rows, Span<T> gradient, double scale)
        where T : IFloatingPointIeee754<T>
    {
        fixed (byte* x = &AsBytes(input))
        fixed (int* y = target)
        fixed (CrossEntropyRow* r = rows)
        fixed (byte* g = &AsBytes((ReadOnlySpan<T>)gradient))
        {
            var job = new LossRowsJob
            {
                Input = x,
                Classes = classes,
                Rows = target.Length,
                Kind = TargetKind.Index,
                Index = y,
                IgnoreIndex = options.IgnoreIndex,
                Keep = 1.0 - options.LabelSmoothing,
                Spread = options.LabelSmoothing / classes,
                Smoothing = options.LabelSmoothing > 0.0,
                ZScale = options.ZLossScale,
                Cap = options.SoftCap,
                Fast = UsesFastRows<T>(options.LabelSmoothing > 0.0, weighted: false, options.SoftCap),
                Predict = true,
                Details = rows.IsEmpty ? null : r,
                Gradient = gradient.IsEmpty ? null : g,
                Scale = scale,
            };
            LossPartial sums = LossRows.Run<T>(ref job);
            return new DetailedSums(sums.Loss, sums.Z, sums.Correct);
        }
    }
}
