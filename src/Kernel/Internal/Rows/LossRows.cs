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

    /// <summary>Σ row loss including z-loss (the detailed result's per-row Loss).</summary>
    public double Loss;

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

    /// <summary>Class-index targets, one per row.</summary>
    public int* Index;
    public int IgnoreIndex;

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

    /// <summary>Whether to find each row's prediction (the detailed results count the correct ones).</summary>
    public bool Predict;

    /// <summary>One loss per row (storage type), or null.</summary>
    public byte* PerRow;

    /// <summary>One detailed result per row, or null.</summary>
    public CrossEntropyRow* Details;

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
/// (<see cref="Finish"/>), the gradient (<see cref="RowGradient"/>) and the outputs; rows in fixed chunks over threads
/// (<see cref="ChunkDriver"/>), chunk sums combined in order.
/// </summary>
internal static unsafe class LossRows
{
    /// <summary>The loss of one counted row, from its statistics.</summary>
    public readonly struct Finish
    {
        /// <summary>w[t]·(log S − (x[t] − m)) = w[t]·(lse − x[t]); 0 when w[t] is 0, whatever the logits.</summary>
        public readonly double Target;

        /// <summary>K·log S − Σ a·(x − m) (0 without a linear term).</summary>
        public readonly double Linear;

        /// <summary>The row's loss: (1 − ε)·Target + (ε/C)·Linear for index targets, Linear for probability targets.</summary>
        public readonly double Loss;

        /// <summary>The row's log-sum-exp, m + log S (its logarithm taken once, here).</summary>
        public readonly double LogSumExp;

        public Finish(in LossRowsJob job, in RowStatistics s, double shiftedTarget, double weight)
        {
            double logSum = s.LogSum;
            LogSumExp = RowStatistics.LogSumExpOf(s.Max, logSum);
            if (job.Kind == TargetKind.Index)
            {
                Target = Zero.Term(weight, logSum - shiftedTarget);
                Linear = job.Smoothing ? s.CoefficientSum * logSum - s.Linear : 0.0;
                Loss = job.Smoothing ? Zero.Term(job.Keep, Target) + job.Spread * Linear : Target;
            }
            else
            {
                Target = 0.0;
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
        ChunkSums sums = default;
        if (job.Shape.Walk == Walk.Rows)
        {
            Rows<T, TF, TD>(ref job, first, last, ref sums);
        }
        else
        {
            Tiles<T, TD>(ref job, first, last, ref sums);
        }

        job.Partials[chunk] = sums.ToPartial();
    }

    /// <summary>The coefficients a[c] of the job's rows.</summary>
    private static Coefficients CoefficientsOf(in LossRowsJob job) =>
        job.Kind == TargetKind.Probabilities
            ? new Coefficients(CoefficientKind.Probabilities, job.Weight, job.Keep, job.Spread)
            : job.Smoothing ? new Coefficients(job.Weight == null ? CoefficientKind.Uniform : CoefficientKind.Weights, job.Weight, 0.0, 0.0)
            : default;

    /// <summary>Contiguous rows [first, last), one at a time: statistics, epilogue, gradient.</summary>
    private static void Rows<T, TF, TD>(ref LossRowsJob job, int first, int last, ref ChunkSums sums)
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

        for (int row = first; row < last; row++)
        {
            byte* x = job.Input + row * rowBytes;
            byte* g = job.Gradient == null ? null : job.Gradient + row * rowBytes;
            byte* targetRow = index ? null : job.Probabilities + row * rowBytes;
            int t = index ? job.Index[row] : -1;
            if (index && t == job.IgnoreIndex)
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
            GradientFactors factors = Epilogue<T>(ref job, row, t, weight, xt - s.Max, s, ref sums);
            if (g == null)
            {
                continue;
            }

            if (job.Fast)
            {
                RowGradient.Fast<TF, TD>((float*)g, classes, factors.Factor, factors.CoefficientScale, t, factors.TargetTerm);
            }
            else
            {
                RowGradient.Exact<T, TD>(x, g, classes, s.Max, job.Cap, coefficients, targetRow, factors.Factor, factors.CoefficientScale, t, factors.TargetTerm, stash);
            }
        }
    }

    /// <summary>Tiles [first, last) of eight positions (<see cref="Walk.Transposed"/> or <see cref="Walk.Strided"/>).</summary>
    private static void Tiles<T, TD>(ref LossRowsJob job, int first, int last, ref ChunkSums sums)
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
        RowStatistics* statistics = stackalloc RowStatistics[8];
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
            LaneTilePass.Statistics<T, TD>(tile, coefficients, targets, job.Cap, job.Predict, statistics);
            Eight max = default, factor = default, coefficientScale = default, target = default, targetTerm = default, ignored = default;
            for (int k = 0; k < lanes; k++)
            {
                int position = position0 + k;
                int t = index ? job.Index[position] : -1;
                target[k] = t;
                if (index && t == job.IgnoreIndex)
                {
                    IgnoredOutputs<T>(ref job, position);
                    ignored[k] = 1.0;
                    continue;
                }

                RowStatistics s = statistics[k];
                double xt = index ? RowStatisticsPass.Cap(Elements<T>.Read(tile.Start + t * classStride, k), job.Cap) : 0.0;
                GradientFactors factors = Epilogue<T>(ref job, position, t, WeightOf<T>(job, t), xt - s.Max, s, ref sums);
                max[k] = s.Max;
                factor[k] = factors.Factor;
                coefficientScale[k] = factors.CoefficientScale;
                targetTerm[k] = factors.TargetTerm;
            }

            if (job.Gradient == null)
            {
                continue;
            }

            byte* gradient = transposed ? stagedGradient : job.Gradient + offset;
            LaneTilePass.Gradient<T, TD>(tile, gradient, coefficients, targets, job.Cap, ref max, ref factor, ref coefficientScale, ref target, ref targetTerm, ref ignored);
            if (transposed)
            {
                WalkShape.Transpose<T>(job.Gradient + offset, stagedGradient, classes, lanes, toTile: false);
            }
        }
    }

    private static double WeightOf<T>(in LossRowsJob job, int target)
        where T : IFloatingPointIeee754<T> =>
        job.Kind == TargetKind.Index && job.Weight != null ? Elements<T>.Read(job.Weight, target) : 1.0;

    /// <summary>The factors of <see cref="RowGradient"/>: f = s·A / S, s′ and s·b.</summary>
    private readonly record struct GradientFactors(double Factor, double CoefficientScale, double TargetTerm);

    /// <summary>
    /// What follows a counted position's statistics, whichever walk produced them: the finish, the per-position
    /// outputs, the chunk's sums, and the gradient's factors (s the upstream gradient or the reduction's scale,
    /// A = K + 2λ·lse the total coefficient, b the target's own coefficient).
    /// </summary>
    private static GradientFactors Epilogue<T>(ref LossRowsJob job, int position, int t, double weight, double shiftedTarget, in RowStatistics s, ref ChunkSums sums)
        where T : IFloatingPointIeee754<T>
    {
        var finish = new Finish(job, s, shiftedTarget, weight);
        double lse = finish.LogSumExp;
        double zLoss = ZLoss(job, lse);
        if (job.PerRow != null)
        {
            Elements<T>.Write(job.PerRow, position, finish.Loss);
        }

        if (job.Details != null)
        {
            job.Details[position] = DetailOf(job, s, finish, t);
        }

        sums.Add(finish, zLoss, s.ArgMax == t && t >= 0);
        if (job.Gradient == null)
        {
            return default;
        }

        bool index = job.Kind == TargetKind.Index;
        double scale = job.GradOutput != null ? Elements<T>.Read(job.GradOutput, position) : job.Scale;
        double a = index ? (job.Smoothing ? job.Keep * weight + job.Spread * s.CoefficientSum : weight) : s.CoefficientSum;
        if (job.ZScale > 0.0)
        {
            a += 2.0 * job.ZScale * lse;
        }

        return new GradientFactors(
            scale * a / s.SumExp,
            index ? scale * job.Spread : scale,
            index ? scale * (job.Smoothing ? job.Keep * weight : weight) : 0.0);
    }

    /// <summary>The running sums of a chunk (compensated), in position order.</summary>
    private struct ChunkSums
    {
        private CompensatedSum _target;
        private CompensatedSum _linear;
        private CompensatedSum _z;
        private CompensatedSum _loss;
        private long _correct;

        public void Add(in Finish finish, double zLoss, bool correct)
        {
            _target.Add(finish.Target);
            _linear.Add(finish.Linear);
            if (zLoss != 0.0)
            {
                _z.Add(zLoss);
            }

            _loss.Add(finish.Loss + zLoss);
            _correct += correct ? 1 : 0;
        }

        public void Add(in LossPartial partial)
        {
            _target.Add(partial.Target);
            _linear.Add(partial.Linear);
            _z.Add(partial.Z);
            _loss.Add(partial.Loss);
            _correct += partial.Correct;
        }

        public readonly LossPartial ToPartial() =>
            new() { Target = _target.Value, Linear = _linear.Value, Z = _z.Value, Loss = _loss.Value, Correct = _correct };
    }

    /// <summary>A counted row's detailed result: lse, the loss with its z-loss λ·lse², the prediction and whether it is the target.</summary>
    public static CrossEntropyRow DetailOf(in LossRowsJob job, in RowStatistics s, in Finish finish, int target)
    {
        double lse = finish.LogSumExp;
        double zLoss = ZLoss(job, lse);
        return new CrossEntropyRow(lse, finish.Loss + zLoss, zLoss, s.ArgMax, s.ArgMax == target);
    }

    /// <summary>λ·lse², or exactly 0 without a z-loss (whatever lse is).</summary>
    public static double ZLoss(in LossRowsJob job, double lse) => job.ZScale > 0.0 ? job.ZScale * lse * lse : 0.0;

    /// <summary>The ignored-position rule: loss 0 and a detailed result marked ignored (the walks give it a zero gradient), nothing summed.</summary>
    private static void IgnoredOutputs<T>(ref LossRowsJob job, int row)
        where T : IFloatingPointIeee754<T>
    {
        if (job.PerRow != null)
        {
            Elements<T>.Write(job.PerRow, row, 0.0);
        }

        if (job.Details != null)
        {
            job.Details[row] = CrossEntropyRow.OfIgnored;
        }
    }
}
