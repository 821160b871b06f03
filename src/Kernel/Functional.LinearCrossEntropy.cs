using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using Xent.Internal;
using Xent.Internal.Matrix;
using Xent.Internal.Parallel;
using Xent.Internal.Rows;

namespace Xent;

public static partial class Functional
{
    /// <summary>
    /// Cross entropy of a linear layer's output, y = H·Wᵀ + b, without the N × V logits ever being held (PyTorch
    /// <c>F.linear_cross_entropy(input, weight, target, bias, ...)</c>, Liger-Kernel's fused linear cross entropy): the
    /// loss of a language model's output layer, and the gradients of the hidden states, the weight and the bias. For row
    /// n with target yₙ ≠ ignore index and logits zₙ = W·hₙ + b (soft-capped when asked), ℓₙ is cross entropy's
    /// (<see cref="CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>);
    /// with G = ∂L/∂z the gradients are ∂L/∂H = G·W, ∂L/∂W = Gᵀ·H and ∂L/∂b = Σₙ Gₙ.
    /// </summary>
    /// <typeparam name="T">float or double; Half is stored as Half and computed in float (its inputs widened into float working memory of (N + V)·D floats, each output rounded once).</typeparam>
    /// <typeparam name="TLabel">The targets' integer type.</typeparam>
    /// <param name="hidden">H, the hidden states, (N, D) row-major.</param>
    /// <param name="weight">W, the output embedding, (V, D) row-major (<c>nn.Linear</c>'s layout: one row per class).</param>
    /// <param name="target">One class index per row (N of them), each in [0, V) or equal to the ignore index.</param>
    /// <param name="features">D, the width of a hidden state, at least 1.</param>
    /// <param name="bias">Empty, or b: V values.</param>
    /// <param name="options">Class weights (V values), ignore index, reduction, label smoothing ε, z-loss scale λ, soft cap and empty-mean rule; null for <see cref="CrossEntropyOptions{T}.Default"/>.</param>
    /// <param name="hiddenGradient">Empty, or at least N × D values: receives ∂L/∂H (overwritten).</param>
    /// <param name="weightGradient">Empty, or at least V × D values: receives ∂L/∂W, or has it added when <paramref name="accumulate"/>.</param>
    /// <param name="biasGradient">Empty, or at least V values: receives ∂L/∂b, or has it added when <paramref name="accumulate"/>.</param>
    /// <param name="losses">Empty, or at least N values: receives each ℓₙ (0 where ignored).</param>
    /// <param name="logSumExp">Empty, or at least N values: receives each lseₙ (NaN where ignored).</param>
    /// <param name="predicted">Empty, or at least N values: receives each argmax_c zₙ[c] (−1 where ignored).</param>
    /// <param name="gradOutput">The upstream gradient g, only with a gradient: for Mean and Sum empty (g = 1) or one value; for None empty or one value per row.</param>
    /// <param name="accumulate">Whether <paramref name="weightGradient"/> and <paramref name="biasGradient"/> receive their gradient added to what they hold (gradient accumulation over micro-batches) rather than overwritten.</param>
    /// <returns>The summary, as <see cref="CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/> returns it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="features"/> is less than 1; a target is neither a class nor the ignore index (named with its position and value).</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="hidden"/> does not hold N × D values; <paramref name="weight"/> does not hold a positive multiple
    /// of D; <paramref name="bias"/> is neither empty nor V values; an output is too short or overlaps an input or another
    /// output; <paramref name="gradOutput"/> is given without a gradient or has the wrong length; the class weights are
    /// neither empty nor V values. Nothing is written when an exception is thrown.
    /// </exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float, double nor Half.</exception>
    /// <remarks>
    /// <para>How: the classes are taken in blocks of a few hundred and the rows in blocks of a few hundred. A first pass
    /// makes each block of logits (a matrix product), reduces it to each row's partial statistics
    /// (<see cref="CrossEntropyPartial"/>: log-sum-exp, maximum, target logit) and drops it; the partials merged over
    /// the blocks give the loss exactly as <see cref="CrossEntropyFromPartials{T, TLabel}(ReadOnlySpan{CrossEntropyPartial}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{int})"/> does. With a
    /// gradient, a second pass makes each block again, turns it into its gradient block G
    /// (<see cref="CrossEntropyShardGradient{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, ReadOnlySpan{CrossEntropyPartial}, Span{T}, int, int, int, CrossEntropyOptions{T}?, ReadOnlySpan{T})"/>'s formula) and
    /// multiplies it into ∂L/∂H and ∂L/∂W. The extra memory is one block of logits and the matrix product's packed panels
    /// (a few MiB, whatever N and V), against N × V values for the logits and as many for their gradient unfused.</para>
    /// <para>Runs on up to <see cref="MaxDegreeOfParallelism"/> threads; every result is the same, bit for bit, at any
    /// thread count. Allocates nothing after warm-up (working memory is native and kept for reuse).</para>
    /// </remarks>
    public static CrossEntropySummary LinearCrossEntropy<T, TLabel>(
        ReadOnlySpan<T> hidden,
        ReadOnlySpan<T> weight,
        ReadOnlySpan<TLabel> target,
        int features,
        ReadOnlySpan<T> bias = default,
        CrossEntropyOptions<T>? options = null,
        Span<T> hiddenGradient = default,
        Span<T> weightGradient = default,
        Span<T> biasGradient = default,
        Span<T> losses = default,
        Span<T> logSumExp = default,
        Span<int> predicted = default,
        ReadOnlySpan<T> gradOutput = default,
        bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && typeof(T) != typeof(Half))
        {
            throw new NotSupportedException($"LinearCrossEntropy takes float, double or Half; not {typeof(T).Name}.");
        }

        options ??= CrossEntropyOptions<T>.Default;
        var shape = LinearShape.Validate(hidden.Length, weight.Length, bias.Length, target.Length, features);
        ValidateShardWeights(options, shape.Classes);

        OptionalOutput.Check(hiddenGradient.Length, shape.Rows * (long)shape.Features, nameof(hiddenGradient), "element of hidden");
        OptionalOutput.Check(weightGradient.Length, shape.Classes * (long)shape.Features, nameof(weightGradient), "element of weight");
        OptionalOutput.Check(biasGradient.Length, shape.Classes, nameof(biasGradient), "class");
        OptionalOutput.Check(losses.Length, shape.Rows, nameof(losses), "row");
        OptionalOutput.Check(logSumExp.Length, shape.Rows, nameof(logSumExp), "row");
        OptionalOutput.Check(predicted.Length, shape.Rows, nameof(predicted), "row");
        bool withGradient = !hiddenGradient.IsEmpty || !weightGradient.IsEmpty || !biasGradient.IsEmpty;
        UpstreamGradient.CheckLength(gradOutput.Length, withGradient, options.Reduction, shape.Rows, "row");
        (double weightSum, long count) = Labels.Validate(target, shape.Classes, options.IgnoreIndex, options.WeightSpan);
        unsafe
        {
            fixed (T* h = hidden, w = weight, b = bias, dh = hiddenGradient, dw = weightGradient, db = biasGradient, go = gradOutput, cw = options.WeightSpan)
            fixed (TLabel* y = target)
            fixed (T* lo = losses, ls = logSumExp)
            fixed (int* pr = predicted)
            {
                // Pinned: the regions' addresses hold still while they are compared.
                LinearShape.RefuseOverlaps(
                    [Region.Of(h, hidden.Length), Region.Of(w, weight.Length), Region.Of(b, bias.Length), Region.Of(y, target.Length), Region.Of(go, gradOutput.Length), Region.Of(cw, options.WeightSpan.Length)],
                    ["hidden", "weight", "bias", "target", "gradOutput", "options.Weight"],
                    [Region.Of(dh, hiddenGradient.Length), Region.Of(dw, weightGradient.Length), Region.Of(db, biasGradient.Length), Region.Of(lo, losses.Length), Region.Of(ls, logSumExp.Length), Region.Of(pr, predicted.Length)],
                    ["hiddenGradient", "weightGradient", "biasGradient", "losses", "logSumExp", "predicted"]);
            }
        }

        var call = new LinearCall(shape, withGradient, weightSum, count, accumulate);
        if (typeof(T) == typeof(Half))
        {
            return HalfThroughFloat(
                call, Reinterpret.As<T, Half>(hidden), Reinterpret.As<T, Half>(weight), target, Reinterpret.As<T, Half>(bias), (CrossEntropyOptions<Half>)(object)options,
                Reinterpret.As<T, Half>(hiddenGradient), Reinterpret.As<T, Half>(weightGradient), Reinterpret.As<T, Half>(biasGradient),
                Reinterpret.As<T, Half>(losses), Reinterpret.As<T, Half>(logSumExp), predicted, Reinterpret.As<T, Half>(gradOutput));
        }

        return LinearValidated(call, hidden, weight, target, bias, options, hiddenGradient, weightGradient, biasGradient, losses, logSumExp, predicted, gradOutput);
    }

    /// <summary>What validation established about a call of <see cref="LinearCrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, ReadOnlySpan{T}, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, bool)"/>.</summary>
    private readonly record struct LinearCall(LinearShape Shape, bool WithGradient, double WeightSum, long Count, bool Accumulate);

    /// <summary>The fused loss of a validated call, in float or double.</summary>
    private static CrossEntropySummary LinearValidated<T, TLabel>(
        LinearCall call, ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<TLabel> target, ReadOnlySpan<T> bias, CrossEntropyOptions<T> options,
        Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> losses, Span<T> logSumExp, Span<int> predicted, ReadOnlySpan<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        LinearShape shape = call.Shape;
        var workspace = new LinearWorkspace(shape, Unsafe.SizeOf<T>(), Gemm.WorkspaceBytes<T>);
        try
        {
            unsafe
            {
                fixed (T* h = hidden, w = weight, b = bias, dh = hiddenGradient, dw = weightGradient, db = biasGradient, go = gradOutput, cw = options.WeightSpan)
                fixed (TLabel* y = target)
                {
                    var job = new LinearJob<T>(shape, h, w, b, Labels.Of(y, options.IgnoreIndex), options, options.WeightSpan.IsEmpty ? null : cw, workspace);
                    ChunkDriver.Region(&LinearJob<T>.RunStatistics, &job);
                    CrossEntropySummary summary = CrossEntropyFromPartials(
                        new ReadOnlySpan<CrossEntropyPartial>(workspace.Partials, shape.Rows), target, shape.Classes, options, losses, logSumExp, predicted);
                    if (call.WithGradient)
                    {
                        double upstream = UpstreamGradient.Scalar(gradOutput, options.Reduction);
                        double scale = call.Count == 0 ? 0.0 : LossRows.ScaleOf(options.Reduction, upstream, call.WeightSum);
                        job.AskGradients(scale, options.Reduction == Reduction.None ? go : null, dh, dw, db, call.Accumulate);
                        ChunkDriver.Region(&LinearJob<T>.RunGradients, &job);
                    }

                    return summary;
                }
            }
        }
        finally
        {
            workspace.Dispose();
        }
    }

    /// <summary>
    /// Half storage, computed in float: the inputs widened into float working memory (exact), the float computation, and
    /// each output rounded once to Half (∂W and ∂b added to their Half values in float first when accumulating).
    /// </summary>
    private static CrossEntropySummary HalfThroughFloat<TLabel>(
        LinearCall call, ReadOnlySpan<Half> hidden, ReadOnlySpan<Half> weight, ReadOnlySpan<TLabel> target, ReadOnlySpan<Half> bias, CrossEntropyOptions<Half> options,
        Span<Half> hiddenGradient, Span<Half> weightGradient, Span<Half> biasGradient, Span<Half> losses, Span<Half> logSumExp, Span<int> predicted, ReadOnlySpan<Half> gradOutput)
        where TLabel : unmanaged, IBinaryInteger<TLabel>
    {
        LinearShape shape = call.Shape;
        long rowsByFeatures = (long)shape.Rows * shape.Features, classesByFeatures = (long)shape.Classes * shape.Features;
        using var h = new Widened(hidden, hidden.Length);
        using var w = new Widened(weight, weight.Length);
        using var b = new Widened(bias, bias.Length);
        using var go = new Widened(gradOutput, gradOutput.Length);
        using var dh = new Widened(default, hiddenGradient.IsEmpty ? 0 : (int)rowsByFeatures);
        using var dw = new Widened(call.Accumulate ? weightGradient[..(int)Math.Min(weightGradient.Length, classesByFeatures)] : default, weightGradient.IsEmpty ? 0 : (int)classesByFeatures);
        using var db = new Widened(call.Accumulate ? biasGradient[..Math.Min(biasGradient.Length, shape.Classes)] : default, biasGradient.IsEmpty ? 0 : shape.Classes);
        using var lo = new Widened(default, losses.IsEmpty ? 0 : shape.Rows);
        using var ls = new Widened(default, logSumExp.IsEmpty ? 0 : shape.Rows);
        float[]? classWeights = options.WeightSpan.IsEmpty ? null : new float[options.WeightSpan.Length];
        for (int c = 0; classWeights != null && c < classWeights.Length; c++)
        {
            classWeights[c] = (float)options.WeightSpan[c];
        }

        var wide = new CrossEntropyOptions<float>
        {
            Weight = classWeights,
            IgnoreIndex = options.IgnoreIndex,
            Reduction = options.Reduction,
            LabelSmoothing = options.LabelSmoothing,
            ZLossScale = options.ZLossScale,
            SoftCap = options.SoftCap,
            EmptyMean = options.EmptyMean,
        };
        CrossEntropySummary summary = LinearValidated(call, h.Span, w.Span, target, b.Span, wide, dh.Span, dw.Span, db.Span, lo.Span, ls.Span, predicted, go.Span);
        dh.NarrowTo(hiddenGradient);
        dw.NarrowTo(weightGradient);
        db.NarrowTo(biasGradient);
        lo.NarrowTo(losses);
        ls.NarrowTo(logSumExp);
        return summary;
    }

    /// <summary>Float working memory for a Half buffer: native, freed when disposed.</summary>
    private readonly unsafe struct Widened : IDisposable
    {
        private readonly float* _values;
        private readonly int _length;

        /// <summary><paramref name="length"/> floats, the first <paramref name="source"/>.Length of them widened from it, the rest 0.</summary>
        public Widened(ReadOnlySpan<Half> source, int length)
        {
            _length = length;
            _values = length == 0 ? null : (float*)NativeMemory.Alloc((nuint)length, sizeof(float));
            Span<float> values = Span;
            TensorPrimitives.ConvertToSingle(source, values[..source.Length]);
            values[source.Length..].Clear();
        }

        public Span<float> Span => new(_values, _length);

        /// <summary>Rounds the values once to Half into <paramref name="destination"/> (nothing when either is empty).</summary>
        public void NarrowTo(Span<Half> destination)
        {
            if (_length != 0 && !destination.IsEmpty)
            {
                TensorPrimitives.ConvertToHalf(Span, destination[.._length]);
            }
        }

        public void Dispose() => NativeMemory.Free(_values);
    }

    /// <summary>
    /// All the working memory of one call, in one native block (<see cref="Scratch"/>): every row's partial, one block of
    /// logits (<see cref="RowBlock"/> × <see cref="ClassBlock"/>), that block's fresh partials,
    /// its column sums (∂b) and the matrix products' packed panels (the largest of the three products' needs). Its size
    /// depends on N, D and the blocks, never on V: a few MiB.
    /// </summary>
    private readonly unsafe struct LinearWorkspace : IDisposable
    {
        private readonly nint _block;
        private readonly nuint _bytes;

        public LinearWorkspace(LinearShape shape, int elementSize, Func<int, int, int, nuint> gemmBytes)
        {
            int rowBlock = RowsPerBlock(shape.Rows), classBlock = Math.Min(shape.Classes, ClassBlock), d = shape.Features;
            nuint gemm = Math.Max(gemmBytes(rowBlock, classBlock, d), Math.Max(gemmBytes(classBlock, d, rowBlock), gemmBytes(rowBlock, d, classBlock)));
            nuint offset = 0;
            nuint Take(nuint bytes)
            {
                nuint at = offset;
                offset += (bytes + 63) & ~(nuint)63;
                return at;
            }

            nuint partials = Take((nuint)Math.Max(1, shape.Rows) * (nuint)sizeof(CrossEntropyPartial));
            nuint logits = Take((nuint)(rowBlock * classBlock * elementSize));
            nuint blockPartials = Take((nuint)(rowBlock * sizeof(CrossEntropyPartial)));
            nuint sums = Take((nuint)(classBlock * sizeof(double)));
            nuint products = Take(gemm);
            (_block, _bytes) = Scratch.Rent(offset);
            Partials = (CrossEntropyPartial*)(_block + (nint)partials);
            Logits = (byte*)(_block + (nint)logits);
            BlockPartials = (CrossEntropyPartial*)(_block + (nint)blockPartials);
            ColumnSums = (double*)(_block + (nint)sums);
            Products = (byte*)(_block + (nint)products);
        }

        /// <summary>Classes per block: a multiple of every micro-kernel's tile width.</summary>
        public static int ClassBlock => 256;

        /// <summary>The most rows a block holds: about 128 Ki logits a block.</summary>
        public static int RowBlock => 512;

        /// <summary>
        /// Rows per block for <paramref name="rows"/> rows: the fewest blocks of at most <see cref="RowBlock"/> rows, cut
        /// into equal parts rounded up to a multiple of every micro-kernel's tile height (6 and 12), so that no block is a
        /// thin remainder (1024 rows are two blocks of 512, not 504 + 504 + 16: a thin block costs the packing of its W
        /// block for a few rows' work). It depends on N alone, so the results' bits do not depend on the thread count.
        /// </summary>
        public static int RowsPerBlock(int rows)
        {
            if (rows <= 1)
            {
                return 1;
            }

            int blocks = (rows + RowBlock - 1) / RowBlock;
            int even = (rows + blocks - 1) / blocks;
            return blocks == 1 ? rows : Math.Min(RowBlock, (even + 11) / 12 * 12);
        }

        public CrossEntropyPartial* Partials { get; }

        public byte* Logits { get; }

        public CrossEntropyPartial* BlockPartials { get; }

        public double* ColumnSums { get; }

        public byte* Products { get; }

        public void Dispose() => Scratch.Return(_block, _bytes);
    }

    /// <summary>
    /// The two passes of <see cref="LinearCrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, ReadOnlySpan{T}, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, bool)"/> over blocks of classes × blocks of rows: the
    /// statistics pass (logits block → partials, merged in class-block order) and the gradient pass (logits block →
    /// gradient block → ∂L/∂W, ∂L/∂H, ∂L/∂b).
    /// </summary>
    private unsafe struct LinearJob<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly LinearShape _shape;
        private readonly T* _hidden;
        private readonly T* _weight;
        private readonly T* _bias;
        private readonly Labels _labels;
        private readonly LossRowsJob _rules;
        private readonly double _smoothing;
        private readonly byte* _classWeights;
        private readonly double _coefficientSum;
        private readonly CrossEntropyPartial* _partials;

        private readonly T* _logits;
        private readonly CrossEntropyPartial* _blockPartials;
        private readonly double* _columnSums;
        private readonly byte* _products;

        // The block being worked on, read by the chunk bodies through a pointer to this job.
        private int _row0;
        private int _rows;
        private int _class0;
        private int _width;
        private int _rowsPerChunk;
        private double _scale;
        private T* _gradOutput;
        private T* _hiddenGradient;
        private T* _weightGradient;
        private T* _biasGradient;
        private bool _accumulate;

        public LinearJob(LinearShape shape, T* hidden, T* weight, T* bias, Labels labels, CrossEntropyOptions<T> options, T* classWeights, LinearWorkspace workspace)
        {
            _logits = (T*)workspace.Logits;
            _blockPartials = workspace.BlockPartials;
            _columnSums = workspace.ColumnSums;
            _products = workspace.Products;
            _rules = ShardJob(options, shape.Classes);
            _classWeights = (byte*)classWeights;
            _coefficientSum = CoefficientSumOf(options.WeightSpan, shape.Classes);
            _shape = shape;
            _hidden = hidden;
            _weight = weight;
            _bias = bias;
            _labels = labels;
            _smoothing = options.LabelSmoothing;
            _partials = workspace.Partials;
        }

        /// <summary>Every row's partial over all classes: the blocks' partials merged in class order.</summary>
        private void Statistics()
        {
            int n = _shape.Rows, v = _shape.Classes;
            new Span<CrossEntropyPartial>(_partials, n).Clear();
            if (n == 0)
            {
                return;
            }

            int rowBlock = LinearWorkspace.RowsPerBlock(n), classBlock = Math.Min(v, LinearWorkspace.ClassBlock);
            for (int c0 = 0; c0 < v; c0 += classBlock)
            {
                for (int r0 = 0; r0 < n; r0 += rowBlock)
                {
                    MakeLogits(r0, Math.Min(rowBlock, n - r0), c0, Math.Min(classBlock, v - c0));
                    fixed (LinearJob<T>* self = &this)
                    {
                        ChunkDriver.For(Chunks(), &PartialsChunk, self);
                    }
                }
            }
        }

        /// <summary>What <see cref="Gradients"/> computes: G scaled by <paramref name="scale"/> (or by each row's upstream gradient), multiplied into the gradients that are not null.</summary>
        public void AskGradients(double scale, T* gradOutput, T* hiddenGradient, T* weightGradient, T* biasGradient, bool accumulate)
        {
            _scale = scale;
            _gradOutput = gradOutput;
            _hiddenGradient = hiddenGradient;
            _weightGradient = weightGradient;
            _biasGradient = biasGradient;
            _accumulate = accumulate;
        }

        /// <summary><see cref="Statistics"/> as a region's program.</summary>
        public static void RunStatistics(void* job) => ((LinearJob<T>*)job)->Statistics();

        /// <summary><see cref="Gradients"/> as a region's program.</summary>
        public static void RunGradients(void* job) => ((LinearJob<T>*)job)->Gradients();

        /// <summary>The gradient blocks G multiplied into the gradients <see cref="AskGradients"/> named.</summary>
        private void Gradients()
        {
            int n = _shape.Rows, v = _shape.Classes, d = _shape.Features;
            T* hiddenGradient = _hiddenGradient, weightGradient = _weightGradient, biasGradient = _biasGradient;
            bool accumulate = _accumulate;
            if (n == 0)
            {
                if (!accumulate)
                {
                    if (weightGradient != null)
                    {
                        new Span<T>(weightGradient, v * d).Clear();
                    }

                    if (biasGradient != null)
                    {
                        new Span<T>(biasGradient, v).Clear();
                    }
                }

                return;
            }

            int rowBlock = LinearWorkspace.RowsPerBlock(n), classBlock = Math.Min(v, LinearWorkspace.ClassBlock);
            double* sums = _columnSums;
            for (int c0 = 0; c0 < v; c0 += classBlock)
            {
                int width = Math.Min(classBlock, v - c0);
                new Span<double>(sums, width).Clear();
                for (int r0 = 0; r0 < n; r0 += rowBlock)
                {
                    int rows = Math.Min(rowBlock, n - r0);
                    MakeLogits(r0, rows, c0, width);
                    fixed (LinearJob<T>* self = &this)
                    {
                        ChunkDriver.For(Chunks(), &GradientChunk, self);
                    }

                    var g = Strided<T>.RowMajor(_logits, width);
                    if (biasGradient != null)
                    {
                        fixed (LinearJob<T>* self = &this)
                        {
                            ChunkDriver.For((width + ColumnsPerChunk - 1) / ColumnsPerChunk, &ColumnSumsChunk, self);
                        }
                    }

                    if (weightGradient != null)
                    {
                        // ∂W[c0 : c0 + width] (+)= Gᵀ·H[r0 : r0 + rows]
                        Gemm.Multiply(width, d, rows, Strided<T>.Transposed(_logits, width), Strided<T>.RowMajor(_hidden + (nint)r0 * d, d),
                            weightGradient + (nint)c0 * d, d, accumulate || r0 > 0, _products);
                    }

                    if (hiddenGradient != null)
                    {
                        // ∂H[r0 : r0 + rows] (+)= G·W[c0 : c0 + width]
                        Gemm.Multiply(rows, d, width, g, Strided<T>.RowMajor(_weight + (nint)c0 * d, d),
                            hiddenGradient + (nint)r0 * d, d, c0 > 0, _products);
                    }
                }

                if (biasGradient != null)
                {
                    for (int c = 0; c < width; c++)
                    {
                        double total = accumulate ? double.CreateTruncating(biasGradient[c0 + c]) + sums[c] : sums[c];
                        biasGradient[c0 + c] = T.CreateTruncating(total);
                    }
                }
            }
        }

        /// <summary>z = H[r0 : r0 + rows]·W[c0 : c0 + width]ᵀ + b[c0 : c0 + width] into the logits block (rows × width, row-major).</summary>
        /// <summary>
        /// Makes the logits block H[r0 : r0 + rows]·W[c0 : c0 + width]ᵀ without its bias (each chunk body adds the bias to its
        /// own rows, <see cref="AddBias"/>, so that no step runs on one thread) and sets the block the chunk bodies read.
        /// </summary>
        private void MakeLogits(int r0, int rows, int c0, int width)
        {
            int d = _shape.Features;
            _row0 = r0;
            _rows = rows;
            _class0 = c0;
            _width = width;
            (_rowsPerChunk, _) = ChunkDriver.Split(rows, width);
            Gemm.Multiply(rows, width, d, Strided<T>.RowMajor(_hidden + (nint)r0 * d, d), Strided<T>.Transposed(_weight + (nint)c0 * d, d),
                _logits, width, accumulate: false, _products);
        }

        /// <summary>z[r, c] += b[c0 + c] over rows [first, first + rows) of the block: the logits' last rounding.</summary>
        private readonly void AddBias(int first, int rows)
        {
            if (_bias == null)
            {
                return;
            }

            var bias = new ReadOnlySpan<T>(_bias + _class0, _width);
            for (int r = first; r < first + rows; r++)
            {
                var row = new Span<T>(_logits + (nint)r * _width, _width);
                TensorPrimitives.Add(row, bias, row);
            }
        }

        private readonly int Chunks() => (_rows + _rowsPerChunk - 1) / _rowsPerChunk;

        private static void PartialsChunk(void* context, int chunk)
        {
            ref LinearJob<T> job = ref Unsafe.AsRef<LinearJob<T>>(context);
            int first = chunk * job._rowsPerChunk;
            int rows = Math.Min(job._rowsPerChunk, job._rows - first);
            job.AddBias(first, rows);
            var block = new ReadOnlySpan<T>(job._logits + (nint)first * job._width, rows * job._width);
            var fresh = new Span<CrossEntropyPartial>(job._blockPartials + first, rows);
            ShardPartials(block, job._labels.From(job._row0 + first), rows, fresh, job._class0, job._width, job._smoothing, job._rules.Cap, job._classWeights);
            CrossEntropyPartial* merged = job._partials + job._row0 + first;
            for (int r = 0; r < rows; r++)
            {
                merged[r] = CrossEntropyPartial.Merge(merged[r], fresh[r]);
            }
        }

        private static void GradientChunk(void* context, int chunk)
        {
            ref LinearJob<T> job = ref Unsafe.AsRef<LinearJob<T>>(context);
            int first = chunk * job._rowsPerChunk;
            int rows = Math.Min(job._rowsPerChunk, job._rows - first);
            job.AddBias(first, rows);
            var block = new Span<T>(job._logits + (nint)first * job._width, rows * job._width);
            int row = job._row0 + first;
            ReadOnlySpan<T> upstream = job._gradOutput == null ? default : new ReadOnlySpan<T>(job._gradOutput + row, rows);
            ShardGradient((ReadOnlySpan<T>)block, job._labels.From(row), rows, new ReadOnlySpan<CrossEntropyPartial>(job._partials + row, rows), block,
                job._rules, job._class0, job._width, job._scale, upstream, job._classWeights, job._coefficientSum);
        }

        /// <summary>sums[c] += Σ_r block[r, c] in row order, in double.</summary>
        /// <summary>
        /// Column sums of the gradient block into ∂b's double sums, over a range of columns per chunk: each column's sum
        /// adds the rows in order, whatever the chunks, so its bits do not depend on the thread count.
        /// </summary>
        private static void ColumnSumsChunk(void* context, int chunk)
        {
            ref LinearJob<T> job = ref Unsafe.AsRef<LinearJob<T>>(context);
            int first = chunk * ColumnsPerChunk, last = Math.Min(job._width, first + ColumnsPerChunk);
            double* sums = job._columnSums;
            for (int r = 0; r < job._rows; r++)
            {
                T* row = job._logits + (nint)r * job._width;
                for (int c = first; c < last; c++)
                {
                    sums[c] += double.CreateTruncating(row[c]);
                }
            }
        }

        private const int ColumnsPerChunk = 64;
    }

    private readonly unsafe record struct Region(nint Start, nint Length)
    {
        public static Region Of<TElement>(TElement* start, int count)
            where TElement : unmanaged => new((nint)start, (nint)count * sizeof(TElement));

        public bool Overlaps(Region other) =>
            Length != 0 && other.Length != 0 && Start < other.Start + other.Length && other.Start < Start + Length;
    }

    /// <summary>N, D and V of a linear cross entropy, checked; and its output and overlap rules.</summary>
    private readonly record struct LinearShape(int Rows, int Features, int Classes)
    {
        public static LinearShape Validate(int hiddenLength, int weightLength, int biasLength, int rows, int features)
        {
            if (features < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(features), features, "features (D, the width of a hidden state) must be at least 1.");
            }

            if (hiddenLength != (long)rows * features)
            {
                throw new ArgumentException(
                    $"hidden must hold one row of D = {features} values per target ({rows} × {features} = {(long)rows * features}); it holds {hiddenLength}.", "hidden");
            }

            if (weightLength == 0 || weightLength % features != 0)
            {
                throw new ArgumentException(
                    $"weight must hold V rows of D = {features} values (V ≥ 1, nn.Linear's (out_features, in_features) layout); it holds {weightLength}.", "weight");
            }

            int classes = weightLength / features;
            if (biasLength != 0 && biasLength != classes)
            {
                throw new ArgumentException($"bias must be empty or hold one value per class (V = {classes}); it holds {biasLength}.", "bias");
            }

            return new LinearShape(rows, features, classes);
        }

        /// <summary>No output overlaps an input or another output.</summary>
        public static void RefuseOverlaps(ReadOnlySpan<Region> inputs, ReadOnlySpan<string> inputNames, ReadOnlySpan<Region> outputs, ReadOnlySpan<string> outputNames)
        {
            for (int o = 0; o < outputs.Length; o++)
            {
                for (int i = 0; i < inputs.Length; i++)
                {
                    if (outputs[o].Overlaps(inputs[i]))
                    {
                        ThrowHelper.Overlaps(outputNames[o], inputNames[i]);
                    }
                }

                for (int other = o + 1; other < outputs.Length; other++)
                {
                    if (outputs[o].Overlaps(outputs[other]))
                    {
                        ThrowHelper.Overlaps(outputNames[other], outputNames[o]);
                    }
                }
            }
        }
    }
}
