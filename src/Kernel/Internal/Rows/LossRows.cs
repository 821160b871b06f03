using System.Numerics;
using System.Runtime.CompilerServices;
using Xent.Internal.Parallel;
using Xent.Internal.Vectors;

namespace Xent.Internal.Rows;

/// <summary>What a row's target is: a class index, or a row of probabilities.</summary>
internal enum TargetKind
{
    Index,
    Probabilities,
}

/// <summary>The sums of a chunk of rows (and, once combined in chunk order, of the call).</summary>
internal struct LossPartial
{
    /// <summary>Σ w[t]·(lse − x[t]) over the counted rows (index targets).</summary>
    public double Target;

    /// <summary>Σ (K·log S − Σ a·(x − m)): the smoothing sum (index targets) or the loss (probability targets).</summary>
    public double Linear;

    /// <summary>Σ z-loss.</summary>
    public double Z;

    /// <summary>Rows whose first maximal class is the target.</summary>
    public long Correct;
}

/// <summary>
/// Everything one call of a softmax cross entropy over contiguous rows (inner = 1) needs: the rows, their targets, the
/// options, and where the results go. Built by the public entry points after validation; run by <see cref="LossRows.Run{T}"/>.
/// </summary>
internal unsafe struct LossRowsJob
{
    public byte* Input;
    public int Classes;

    /// <summary>Positions: outer × inner (rows when inner = 1).</summary>
    public int Rows;

    /// <summary>The product of the dimensions after the class dimension (1 for (N, C)).</summary>
    public int Inner;

    public TargetKind Kind;

    /// <summary>Class-index targets, one per row (the class, or −1 where ignored).</summary>
    public Labels Labels;

    /// <summary>Probability targets, the input's layout.</summary>
    public byte* Probabilities;

    /// <summary>C class weights, or null for all ones.</summary>
    public byte* Weight;

    /// <summary>1 − ε.</summary>
    public double Keep;

    /// <summary>ε / C.</summary>
    public double Spread;
    public bool Smoothing;
    public double ZScale;
    public double Cap;

    /// <summary>Float rows through the fast statistic pass (exponentials in float, sums in double).</summary>
    public bool Fast;

    /// <summary>Whether to find each row's prediction (the summary counts the correct ones).</summary>
    public bool Predict;

    /// <summary>One loss per row, z-loss included (storage type), or null; 0 for an ignored row.</summary>
    public byte* PerRow;

    /// <summary>One log-sum-exp per row (storage type), or null; NaN for an ignored row.</summary>
    public byte* LogSumExp;

    /// <summary>One prediction per row (the first maximal class, as torch.argmax), or null; −1 for an ignored row.</summary>
    public int* Predicted;

    /// <summary>The gradient (the input's layout; may be the input itself), or null.</summary>
    public byte* Gradient;

    /// <summary>One upstream gradient per row (storage type), or null to use <see cref="Scale"/>.</summary>
    public byte* GradOutput;
    public double Scale;

    public WalkShape Shape;
    public LossPartial* Partials;
}

/// <summary>
/// The loss pipeline for contiguous rows: per row, the statistic pass (<see cref="RowStatisticsPass"/>), the finish
/// (<see cref="Finish{TD}"/>), the gradient (<see cref="RowGradient"/>) and the outputs; rows in fixed chunks over threads
/// (<see cref="ChunkDriver"/>), chunk sums combined in order.
/// </summary>
internal static unsafe class LossRows
{
    /// <summary>The loss of counted positions, one per lane, from their statistics (a row is one <see cref="Double1"/> lane).</summary>
    public readonly struct Finish<TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        /// <summary>w[t]·(log S − (x[t] − m)) = w[t]·(lse − x[t]); 0 when w[t] is 0, whatever the logits.</summary>
        public readonly TD Target;

        /// <summary>K·log S − Σ a·(x − m) (0 without a linear term).</summary>
        public readonly TD Linear;

        /// <summary>The loss: (1 − ε)·Target + (ε/C)·Linear for index targets, Linear for probability targets.</summary>
        public readonly TD Loss;

        /// <summary>The log-sum-exp, m + log S (its logarithm taken once, here).</summary>
        public readonly TD LogSumExp;

        /// <summary>λ·lse², or exactly 0 without a z-loss (whatever lse is).</summary>
        public readonly TD ZLoss;

        /// <summary>A position's loss as reported: <see cref="Loss"/> plus the z-loss when there is one (without one, the loss's own bits, −0 included).</summary>
        public TD Total(in LossRowsJob job) => job.ZScale > 0.0 ? Loss + ZLoss : Loss;

        public Finish(in LossRowsJob job, in LaneStatistics<TD> s, TD shiftedTarget, TD weight)
        {
            TD zero = TD.Create(0.0);
            TD logSum = s.LogSum;
            LogSumExp = LaneStatistics<TD>.LogSumExpOf(s.Max, logSum);
            ZLoss = job.ZScale > 0.0 ? TD.Create(job.ZScale) * LogSumExp * LogSumExp : zero;
            if (job.Kind == TargetKind.Index)
            {
                Target = Zero.Term(weight, logSum - shiftedTarget);
                Linear = job.Smoothing ? s.CoefficientSum * logSum - s.Linear : zero;
                Loss = job.Smoothing ? Zero.Term(TD.Create(job.Keep), Target) + TD.Create(job.Spread) * Linear : Target;
            }
            else
            {
                Target = zero;
                Linear = s.CoefficientSum * logSum - s.Linear;
                Loss = Linear;
            }
        }
    }

    /// <summary>Runs the job over all its positions and returns the call's sums.</summary>
    public static LossPartial Run<T>(ref LossRowsJob job)
        where T : IFloatingPointIeee754<T>
    {
        if (job.Rows == 0)
        {
            return default;
        }

        job.Shape = new WalkShape(job.Rows, job.Classes, job.Inner);
        int chunks = job.Shape.Chunks;
        LossPartial* partials = stackalloc LossPartial[chunks];
        job.Partials = partials;
        fixed (LossRowsJob* context = &job)
        {
            ChunkDriver.For(chunks, Width.Pick(&Chunk<T, Float512, Double512>, &Chunk<T, Float256, Double256>, &Chunk<T, Float128, Double128>), context);
        }

        ChunkSums total = default;
        for (int c = 0; c < chunks; c++)
        {
            total.Add(partials[c]);
        }

        return total.ToPartial();
    }

    private static void Chunk<T, TF, TD>(void* state, int chunk)
        where T : IFloatingPointIeee754<T>
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        ref LossRowsJob job = ref Unsafe.AsRef<LossRowsJob>(state);
        (int first, int last) = job.Shape.ChunkUnits(chunk);
        job.Partials[chunk] = job.Shape.Walk == Walk.Rows
            ? Rows<T, TF, TD>(ref job, first, last)
            : Tiles<T, TD>(ref job, first, last);
    }

    /// <summary>The coefficients a[c] of the job's rows.</summary>
    private static Coefficients CoefficientsOf(in LossRowsJob job) =>
        job.Kind == TargetKind.Probabilities
            ? new Coefficients(CoefficientKind.Probabilities, job.Weight, job.Keep, job.Spread)
            : job.Smoothing ? new Coefficients(job.Weight == null ? CoefficientKind.Uniform : CoefficientKind.Weights, job.Weight, 0.0, 0.0)
            : default;

    /// <summary>Contiguous rows [first, last), one at a time: statistics, epilogue (a row as a lane), gradient; returns their sums.</summary>
    private static LossPartial Rows<T, TF, TD>(ref LossRowsJob job, int first, int last)
        where T : IFloatingPointIeee754<T>
        where TF : unmanaged, IFloatBlock<TF, TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        int classes = job.Classes;
        nint rowBytes = (nint)classes * Elements<T>.Size;
        bool index = job.Kind == TargetKind.Index;
        Coefficients coefficients = CoefficientsOf(job);

        // The exact gradient reads the statistic pass's exponentials instead of computing them again, when the row is
        // short enough to keep them (the fast pass keeps its own in the gradient buffer).
        int stashLength = job.Gradient != null && !job.Fast ? RowStatisticsPass.StashLength(classes) : 0;
        double* stash = stackalloc double[stashLength];
        if (stashLength == 0)
        {
            stash = null;
        }

        LaneSums<Double1> sums = default;
        Double1 counted = Double1.Equal(Double1.Create(0.0), Double1.Create(0.0));
        for (int row = first; row < last; row++)
        {
            byte* x = job.Input + row * rowBytes;
            byte* g = job.Gradient == null ? null : job.Gradient + row * rowBytes;
            byte* targetRow = index ? null : job.Probabilities + row * rowBytes;
            int t = index ? job.Labels.ClassOf(row) : -1;
            if (t < 0 && index)
            {
                IgnoredOutputs<T>(ref job, row);
                if (g != null)
                {
                    new System.Span<byte>(g, (int)rowBytes).Clear();
                }

                continue;
            }

            double weight = WeightOf<T>(job, t);
            // Read before the pass: in place, the fast pass overwrites the logits with exponentials.
            double xt = index ? RowStatisticsPass.Cap(Elements<T>.Read(x, t), job.Cap) : 0.0;
            RowStatistics s = job.Fast
                ? RowStatisticsPass.Fast<TF, TD>((float*)x, classes, job.Smoothing, (float*)g, job.Predict, (float*)(row + 1 < last ? x + rowBytes : x))
                : RowStatisticsPass.Exact<T, TD>(x, classes, coefficients, targetRow, job.Cap, job.Predict, stash);
            GradientFactors<Double1> factors = Epilogue<T, Double1>(
                ref job, row, 1, Double1.Create(t), counted, Double1.Create(weight), Double1.Create(xt - s.Max), LaneStatistics<Double1>.Of(s), ref sums);
            if (g == null)
            {
                continue;
            }

            double factor = factors.Factor.Value, coefficientScale = factors.CoefficientScale.Value, targetTerm = factors.TargetTerm.Value;
            if (job.Fast)
            {
                RowGradient.Fast<TF, TD>((float*)g, classes, factor, coefficientScale, t, targetTerm);
            }
            else
            {
                RowGradient.Exact<T, TD>(x, g, classes, s.Max, job.Cap, coefficients, targetRow, factor, coefficientScale, t, targetTerm, stash);
            }
        }

        return sums.ToPartial();
    }

    /// <summary>Tiles [first, last) of eight positions (<see cref="Walk.Transposed"/> or <see cref="Walk.Strided"/>), a position per lane; returns their sums.</summary>
    private static LossPartial Tiles<T, TD>(ref LossRowsJob job, int first, int last)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        int size = Elements<T>.Size;
        int classes = job.Classes;
        bool index = job.Kind == TargetKind.Index;
        bool transposed = job.Shape.Walk == Walk.Transposed;
        Coefficients coefficients = CoefficientsOf(job);
        byte* stagedLogits = stackalloc byte[transposed ? WalkShape.TileBytes : 0];
        byte* stagedTargets = stackalloc byte[transposed && !index ? WalkShape.TileBytes : 0];
        byte* stagedGradient = stackalloc byte[transposed && job.Gradient != null ? WalkShape.TileBytes : 0];
        LaneSums<TD> sums = default;
        for (int unit = first; unit < last; unit++)
        {
            (int position0, int lanes, nint offset, nint classStride) = job.Shape.Tile(unit, size);
            if (transposed)
            {
                WalkShape.Transpose<T>(job.Input + offset, stagedLogits, classes, lanes, toTile: true);
                if (!index)
                {
                    WalkShape.Transpose<T>(job.Probabilities + offset, stagedTargets, classes, lanes, toTile: true);
                }
            }

            var tile = new LaneTile(transposed ? stagedLogits : job.Input + offset, classStride, classes, lanes);
            byte* targets = index ? null : transposed ? stagedTargets : job.Probabilities + offset;
            LaneStatistics<TD> statistics = LaneTilePass.Statistics<T, TD>(tile, coefficients, targets, job.Cap, job.Predict);

            // Per lane: the target, whether the position counts, its weight and its target logit (an ignored lane, or
            // one past the tile, reads no weight and no logit).
            Eight target = default, ignored = default, weight = default, targetLogit = default;
            for (int k = 0; k < 8; k++)
            {
                int t = k < lanes && index ? job.Labels.ClassOf(position0 + k) : -1;
                target[k] = t;
                bool counts = k < lanes && !(index && t < 0);
                ignored[k] = counts ? 0.0 : 1.0;
                weight[k] = counts ? WeightOf<T>(job, t) : 0.0;
                targetLogit[k] = counts && index ? RowStatisticsPass.Cap(Elements<T>.Read(tile.Start + t * classStride, k), job.Cap) : 0.0;
            }

            TD counted = TD.Equal(TD.Load(LaneTilePass.Pointer(ref ignored)), TD.Create(0.0));
            GradientFactors<TD> factors = Epilogue<T, TD>(
                ref job, position0, lanes, TD.Load(LaneTilePass.Pointer(ref target)), counted, TD.Load(LaneTilePass.Pointer(ref weight)),
                TD.Load(LaneTilePass.Pointer(ref targetLogit)) - statistics.Max, statistics, ref sums);
            for (int k = 0; k < lanes; k++)
            {
                if (ignored[k] != 0.0)
                {
                    IgnoredOutputs<T>(ref job, position0 + k);
                }
            }

            if (job.Gradient == null)
            {
                continue;
            }

            Eight max = default, factor = default, coefficientScale = default, targetTerm = default;
            TD.Store(statistics.Max, LaneTilePass.Pointer(ref max));
            TD.Store(factors.Factor, LaneTilePass.Pointer(ref factor));
            TD.Store(factors.CoefficientScale, LaneTilePass.Pointer(ref coefficientScale));
            TD.Store(factors.TargetTerm, LaneTilePass.Pointer(ref targetTerm));

            byte* gradient = transposed ? stagedGradient : job.Gradient + offset;
            LaneTilePass.Gradient<T, TD>(tile, gradient, coefficients, targets, job.Cap, ref max, ref factor, ref coefficientScale, ref target, ref targetTerm, ref ignored);
            if (transposed)
            {
                WalkShape.Transpose<T>(job.Gradient + offset, stagedGradient, classes, lanes, toTile: false);
            }
        }

        return sums.ToPartial();
    }

    private static double WeightOf<T>(in LossRowsJob job, int target)
        where T : IFloatingPointIeee754<T> =>
        job.Kind == TargetKind.Index && job.Weight != null ? Elements<T>.Read(job.Weight, target) : 1.0;

    /// <summary>The factors of <see cref="RowGradient"/>, per lane: f = s·A / S, s′ and s·b.</summary>
    public readonly record struct GradientFactors<TD>(TD Factor, TD CoefficientScale, TD TargetTerm)
        where TD : unmanaged, IDoubleBlock<TD>;

    /// <summary>
    /// What follows the statistics of up to eight positions (position0, position0 + 1, ...; one per lane, a row being
    /// one <see cref="Double1"/> lane), whichever walk produced them: the finish, the per-position outputs, the sums of
    /// the <paramref name="counted"/> lanes, and the gradient's factors (s the upstream gradient or the reduction's
    /// scale, A = K + 2λ·lse the total coefficient, b the target's own coefficient). Lanes not counted (ignored, or past
    /// <paramref name="lanes"/>) add nothing; their per-position outputs are written over by the ignored-position rule.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static GradientFactors<TD> Epilogue<T, TD>(
        ref LossRowsJob job, int position0, int lanes, TD target, TD counted, TD weight, TD shiftedTarget, in LaneStatistics<TD> s, ref LaneSums<TD> sums)
        where T : IFloatingPointIeee754<T>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        var finish = new Finish<TD>(job, s, shiftedTarget, weight);
        if (job.PerRow != null)
        {
            Elements<T>.StoreBlock(finish.Total(job), job.PerRow + (nint)position0 * Elements<T>.Size, lanes);
        }

        if (job.LogSumExp != null)
        {
            Elements<T>.StoreBlock(finish.LogSumExp, job.LogSumExp + (nint)position0 * Elements<T>.Size, lanes);
        }

        if (job.Predicted != null)
        {
            StorePredictions(s.ArgMax, lanes, job.Predicted + position0);
        }

        TD correct = TD.Equal(s.ArgMax, target) & TD.GreaterThanOrEqual(target, TD.Create(0.0));
        sums.Add(counted, finish, correct);
        if (job.Gradient == null)
        {
            return default;
        }

        TD scale = job.GradOutput != null
            ? Elements<T>.LoadBlock<TD>(job.GradOutput + (nint)position0 * Elements<T>.Size, lanes)
            : TD.Create(job.Scale);
        return FactorsOf(job, scale, weight, s.CoefficientSum, finish.LogSumExp, s.SumExp);
    }

    /// <summary>
    /// The one formula of the gradient's factors (<see cref="RowGradient"/>), per lane: f = s·A / S, s′ and s·b, with s
    /// the upstream gradient or the reduction's scale, A the total coefficient ((1 − ε)·w[t] + (ε / C)·K for class
    /// indices, K for probabilities) plus 2λ·lse, and b the target's own coefficient ((1 − ε)·w[t]).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GradientFactors<TD> FactorsOf<TD>(in LossRowsJob job, TD scale, TD weight, TD coefficientSum, TD logSumExp, TD sumExp)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        bool index = job.Kind == TargetKind.Index;
        TD a = index ? (job.Smoothing ? TD.Create(job.Keep) * weight + TD.Create(job.Spread) * coefficientSum : weight) : coefficientSum;
        if (job.ZScale > 0.0)
        {
            a += TD.Create(2.0 * job.ZScale) * logSumExp;
        }

        return new GradientFactors<TD>(
            scale * a / sumExp,
            index ? scale * TD.Create(job.Spread) : scale,
            index ? scale * (job.Smoothing ? TD.Create(job.Keep) * weight : weight) : TD.Create(0.0));
    }

    /// <summary>The gradient scale s of a reduced loss: the upstream gradient, divided by the mean's normalizer (Σ w[t] over the counted positions, or their count) for <see cref="Reduction.Mean"/>.</summary>
    public static double ScaleOf(Reduction reduction, double upstream, double normalizer) =>
        reduction == Reduction.Mean ? upstream / normalizer : upstream;

    /// <summary>The predictions of <paramref name="lanes"/> positions, as class indices.</summary>
    private static void StorePredictions<TD>(TD argMax, int lanes, int* predicted)
        where TD : unmanaged, IDoubleBlock<TD>
    {
        Eight classes = default;
        TD.Store(argMax, LaneTilePass.Pointer(ref classes));
        for (int k = 0; k < lanes; k++)
        {
            predicted[k] = (int)classes[k];
        }
    }

    /// <summary>
    /// The results of one counted row known by its statistics (the shards' merged rows): the finish of
    /// <see cref="Epilogue{T, TD}"/>, as a lane.
    /// </summary>
    public static MergedRow FinishMerged(in LossRowsJob job, in RowStatistics s, double shiftedTarget, double weight)
    {
        LaneStatistics<Double1> lane = LaneStatistics<Double1>.Of(s);
        var finish = new Finish<Double1>(job, lane, Double1.Create(shiftedTarget), Double1.Create(weight));
        return new MergedRow(finish.LogSumExp.Value, finish.Total(job).Value, finish.ZLoss.Value, (int)lane.ArgMax.Value, finish.Target.Value, finish.Linear.Value);
    }

    /// <summary>The results of one merged row: its lse, its loss (z-loss included), its z-loss, its prediction, and the parts of its loss that the reduction sums (<see cref="Finish{TD}.Target"/>, <see cref="Finish{TD}.Linear"/>).</summary>
    public readonly record struct MergedRow(double LogSumExp, double Loss, double ZLoss, int Predicted, double Target, double Linear);

    /// <summary>
    /// The running sums of a chunk, per lane, compensated (Neumaier, lane by lane): a row walk's in row order in one
    /// <see cref="Double1"/> lane, a tile walk's per lane, the lanes joined in a fixed order at the end.
    /// </summary>
    private struct LaneSums<TD>
        where TD : unmanaged, IDoubleBlock<TD>
    {
        private TD _target, _targetError;
        private TD _linear, _linearError;
        private TD _z, _zError;
        private long _correct;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(TD counted, in Finish<TD> finish, TD correct)
        {
            Add(ref _target, ref _targetError, finish.Target, counted);
            Add(ref _linear, ref _linearError, finish.Linear, counted);
            Add(ref _z, ref _zError, finish.ZLoss, TD.Select(TD.Equal(finish.ZLoss, TD.Create(0.0)), TD.Create(0.0), counted));
            _correct += System.Numerics.BitOperations.PopCount(TD.MaskBits(correct & counted));
        }

        /// <summary>The chunk's partial: the lanes joined in lane order (lanes never counted hold 0 and change nothing).</summary>
        public readonly LossPartial ToPartial() => new()
        {
            Target = Join(_target, _targetError),
            Linear = Join(_linear, _linearError),
            Z = Join(_z, _zError),
            Correct = _correct,
        };

        /// <summary><see cref="CompensatedSum.Add"/> in the lanes of <paramref name="counted"/>; the others keep their sums.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Add(ref TD sum, ref TD error, TD value, TD counted)
        {
            TD t = sum + value;
            TD e = TD.Select(TD.GreaterThanOrEqual(TD.Abs(sum), TD.Abs(value)), (sum - t) + value, (value - t) + sum);
            error = TD.Select(counted, error + e, error);
            sum = TD.Select(counted, t, sum);
        }

        /// <summary>Each lane's compensated value (its plain sum where that is not finite: the error is then NaN), added in lane order.</summary>
        private static double Join(TD sum, TD error)
        {
            // A Double1 stores its one lane; the others stay 0.
            Eight sums = default, errors = default;
            TD.Store(sum, LaneTilePass.Pointer(ref sums));
            TD.Store(error, LaneTilePass.Pointer(ref errors));
            CompensatedSum total = default;
            for (int k = 0; k < 8; k++)
            {
                total.Add(double.IsFinite(sums[k]) ? sums[k] + errors[k] : sums[k]);
            }

            return total.Value;
        }
    }

    /// <summary>Partials combined in order (compensated): the chunks of a call, or the blocks of rows of a call over more than 2³¹ logits.</summary>
    internal struct ChunkSums
    {
        private CompensatedSum _target;
        private CompensatedSum _linear;
        private CompensatedSum _z;
        private long _correct;

        public void Add(in LossPartial partial)
        {
            _target.Add(partial.Target);
            _linear.Add(partial.Linear);
            _z.Add(partial.Z);
            _correct += partial.Correct;
        }

        public readonly LossPartial ToPartial() =>
            new() { Target = _target.Value, Linear = _linear.Value, Z = _z.Value, Correct = _correct };
    }

    /// <summary>The ignored-position rule: loss 0 and a detailed result marked ignored (the walks give it a zero gradient), nothing summed.</summary>
    private static void IgnoredOutputs<T>(ref LossRowsJob job, int row)
        where T : IFloatingPointIeee754<T>
    {
        if (job.PerRow != null)
        {
            Elements<T>.Write(job.PerRow, row, 0.0);
        }

        if (job.LogSumExp != null)
        {
            Elements<T>.Write(job.LogSumExp, row, double.NaN);
        }

        if (job.Predicted != null)
        {
            job.Predicted[row] = -1;
        }


    }
}
