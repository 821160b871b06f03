using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Xent.Internal;

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

    private unsafe struct DetailedContext
    {
        public byte* Input;
        public int* Target;
        public CrossEntropyRow* Rows;
        public byte* Gradient;
        public double* LossPartials;
        public double* ZPartials;
        public long* CorrectPartials;
        public int Classes;
        public int RowCount;
        public int RowsPerChunk;
        public int IgnoreIndex;
        public double Smoothing;
        public double ZScale;
        public double Cap;
        public double Scale;
    }

    /// <summary>
    /// The rows of one block (at most 2³¹ − 1 elements), in fixed chunks of rows run on up to
    /// <see cref="MaxDegreeOfParallelism"/> threads; chunk sums are combined in chunk order. Arguments are validated.
    /// </summary>
    private static unsafe DetailedSums DetailedBlock<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<int> target, int classes, CrossEntropyOptions options,
        Span<CrossEntropyRow> rows, Span<T> gradient, double scale)
        where T : IFloatingPointIeee754<T>
    {
        int rowCount = target.Length;
        if (rowCount == 0)
        {
            return default;
        }

        // The chunking of the loss-only fused path, so that the plain loss agrees with CrossEntropy bit for bit.
        (int rowsPerChunk, int chunks) = RowChunks(rowCount, classes);
        double* lossPartials = stackalloc double[chunks];
        double* zPartials = stackalloc double[chunks];
        long* correctPartials = stackalloc long[chunks];
        fixed (byte* x = &Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(input)))
        fixed (int* y = target)
        fixed (CrossEntropyRow* r = rows)
        fixed (byte* g = &Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(gradient)))
        {
            var context = new DetailedContext
            {
                Input = x,
                Target = y,
                Rows = rows.IsEmpty ? null : r,
                Gradient = gradient.IsEmpty ? null : g,
                LossPartials = lossPartials,
                ZPartials = zPartials,
                CorrectPartials = correctPartials,
                Classes = classes,
                RowCount = rowCount,
                RowsPerChunk = rowsPerChunk,
                IgnoreIndex = options.IgnoreIndex,
                Smoothing = options.LabelSmoothing,
                ZScale = options.ZLossScale,
                Cap = options.SoftCap,
                Scale = scale,
            };
            RowParallel.For(chunks, &DetailedChunk<T>, &context);
        }

        CompensatedSum loss = default;
        CompensatedSum zLoss = default;
        long correct = 0;
        for (int c = 0; c < chunks; c++)
        {
            loss.Add(lossPartials[c]);
            zLoss.Add(zPartials[c]);
            correct += correctPartials[c];
        }

        return new DetailedSums(loss.Value, zLoss.Value, correct);
    }

    private static unsafe void DetailedChunk<T>(void* state, int chunk)
        where T : IFloatingPointIeee754<T>
    {
        ref DetailedContext c = ref Unsafe.AsRef<DetailedContext>(state);
        int first = chunk * c.RowsPerChunk;
        int last = Math.Min(first + c.RowsPerChunk, c.RowCount);
        int classes = c.Classes;
        bool smoothing = c.Smoothing > 0.0;
        bool fast = typeof(T) == typeof(float) && c.Cap == 0.0 && FloatRows.IsSupported;
        CompensatedSum loss = default;
        CompensatedSum zLoss = default;
        long correct = 0;
        if (fast && classes <= SmallClassLimit)
        {
            DetailedSmallRows(ref c, first, last, ref loss, ref zLoss, ref correct);
            first = last;
        }

        for (int row = first; row < last; row++)
        {
            int t = c.Target[row];
            nint offset = (nint)row * classes * Unsafe.SizeOf<T>();
            byte* x = c.Input + offset;
            byte* g = c.Gradient == null ? null : c.Gradient + offset;
            if (t == c.IgnoreIndex)
            {
                if (c.Rows != null)
                {
                    c.Rows[row] = new CrossEntropyRow(double.NaN, 0.0, 0.0, -1, false);
                }

                if (g != null)
                {
                    new Span<T>(g, classes).Clear();
                }

                continue;
            }

            CrossEntropyPartial partial = fast
                ? DetailedRows.FloatPartial((float*)x, classes, 0, t, smoothing, (float*)g, row + 1 < last ? (float*)x + classes : null)
                : DetailedRows.Partial(new ReadOnlySpan<T>(x, classes), 0, t, c.Cap, smoothing);
            CrossEntropyRow result = DetailedRows.Finish(partial, t, classes, c.Smoothing, c.ZScale);
            if (g != null)
            {
                if (fast)
                {
                    DetailedRows.FloatGradient((float*)g, classes, t, partial, result.LogSumExp, c.Scale, c.Smoothing, classes, c.ZScale);
                }
                else
                {
                    DetailedRows.Gradient(new ReadOnlySpan<T>(x, classes), new Span<T>(g, classes), 0, t, result.LogSumExp, c.Scale, c.Cap, c.Smoothing, classes, c.ZScale);
                }
            }

            if (c.Rows != null)
            {
                c.Rows[row] = result;
            }

            loss.Add(result.Loss);
            if (result.ZLoss != 0.0)
            {
                zLoss.Add(result.ZLoss);
            }
            correct += result.Correct ? 1 : 0;
        }

        c.LossPartials[chunk] = loss.Value;
        c.ZPartials[chunk] = zLoss.Value;
        c.CorrectPartials[chunk] = correct;
    }

    /// <summary>
    /// The float rows of at most 16 classes, 16 rows at a time with one row per vector lane, as the loss-only path
    /// (<c>SmallClassRows</c>): the block is transposed, the maximum, its first position (columns visited from the last
    /// to the first, so the lowest index wins), the exponentials and their sums are vector operations across rows; each
    /// row is then finished in double, in row order. Rows holding NaN or +∞, or only −∞, take the scalar path.
    /// </summary>
    private static unsafe void DetailedSmallRows(
        ref DetailedContext c, int first, int last, ref CompensatedSum loss, ref CompensatedSum zLoss, ref long correct)
    {
        const int Lanes = FloatRows.Lanes;
        int classes = c.Classes;
        bool smoothing = c.Smoothing > 0.0;
        float* input = (float*)c.Input;
        float* gradient = (float*)c.Gradient;
        float* columns = stackalloc float[SmallClassLimit * Lanes];
        float* exponentials = stackalloc float[SmallClassLimit * Lanes];
        float* maxima = stackalloc float[Lanes];
        int* argMaxima = stackalloc int[Lanes];
        double* sumExps = stackalloc double[Lanes];
        double* logSums = stackalloc double[Lanes];
        double* shiftedSums = stackalloc double[Lanes];
        double smoothingValue = c.Smoothing;
        double zScale = c.ZScale;
        double scale = c.Scale;
        double offset = scale * smoothingValue / classes;
        double targetTerm = scale * (1.0 - smoothingValue);
        for (int r0 = first; r0 < last; r0 += Lanes)
        {
            int count = Math.Min(Lanes, last - r0);
            Vector512<float> m = FloatRows.LaneBlock(input, r0, count, classes, smoothing, columns, exponentials, sumExps, logSums, shiftedSums);
            Vector512<int> arg = Vector512<int>.Zero;
            for (int j = classes - 1; j >= 0; j--)
            {
                Vector512<int> hit = Vector512.Equals(Avx512F.LoadVector512(columns + j * Lanes), m).AsInt32();
                arg = Vector512.ConditionalSelect(hit, Vector512.Create(j), arg);
            }

            Avx512F.Store(maxima, m);
            Vector512.Store(arg, argMaxima);

            for (int k = 0; k < count; k++)
            {
                int row = r0 + k;
                int t = c.Target[row];
                float* g = gradient == null ? null : gradient + (long)row * classes;
                if (t == c.IgnoreIndex)
                {
                    if (c.Rows != null)
                    {
                        c.Rows[row] = new CrossEntropyRow(double.NaN, 0.0, 0.0, -1, false);
                    }

                    if (g != null)
                    {
                        new Span<float>(g, classes).Clear();
                    }

                    continue;
                }

                double max = maxima[k];
                double sumExp = sumExps[k];
                CrossEntropyRow result;
                if (double.IsNaN(sumExp) || double.IsNegativeInfinity(max))
                {
                    CrossEntropyPartial partial = DetailedRows.Partial(new ReadOnlySpan<float>(input + (long)row * classes, classes), 0, t, 0.0, smoothing);
                    result = DetailedRows.Finish(partial, t, classes, smoothingValue, zScale);
                }
                else
                {
                    // DetailedRows.Finish with the lanes' vector logarithm: lse = m + log s, nll = log s − (x_t − m).
                    double logSum = logSums[k];
                    double lse = max + logSum;
                    double nll = logSum - (columns[t * Lanes + k] - max);
                    double rowLoss = smoothing
                        ? Zero.Term(1.0 - smoothingValue, nll) + smoothingValue * (lse - (shiftedSums[k] + classes * max) / classes)
                        : nll;
                    double z = zScale > 0.0 ? zScale * lse * lse : 0.0;
                    int predicted = argMaxima[k];
                    result = new CrossEntropyRow(lse, rowLoss + z, z, predicted, predicted == t);
                }

                if (g != null)
                {
                    double factor = scale * (1.0 + 2.0 * zScale * result.LogSumExp) / sumExp;
                    float factorFloat = (float)factor;
                    if (float.IsFinite(factorFloat))
                    {
                        float offsetFloat = (float)offset;
                        for (int j = 0; j < classes; j++)
                        {
                            g[j] = MathF.FusedMultiplyAdd(exponentials[j * Lanes + k], factorFloat, -offsetFloat);
                        }
                    }
                    else
                    {
                        // Past float's range: in double, so that an exponential of 0 stays 0 (not 0·∞).
                        for (int j = 0; j < classes; j++)
                        {
                            g[j] = (float)(exponentials[j * Lanes + k] * factor - offset);
                        }
                    }

                    g[t] = (float)(g[t] - targetTerm);
                }

                if (c.Rows != null)
                {
                    c.Rows[row] = result;
                }

                loss.Add(result.Loss);
                if (result.ZLoss != 0.0)
                {
                    zLoss.Add(result.ZLoss);
                }
                correct += result.Correct ? 1 : 0;
            }
        }
    }
}
