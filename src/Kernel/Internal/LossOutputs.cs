using System;
using System.Numerics;

namespace Xent.Internal;

/// <summary>
/// The outputs a cross-entropy call asks for, checked once and sliced to their length: the gradient (the input's
/// length, or the input itself for in-place work), the per-position losses, log-sum-exps and predictions, and the
/// upstream gradient. The constructor is the one place where their rules live: lengths, the upstream gradient's
/// shape for the reduction, and that no output overlaps an input or another output.
/// </summary>
internal readonly ref struct LossOutputs<T>
    where T : IFloatingPointIeee754<T>
{
    public readonly Span<T> Gradient;
    public readonly Span<T> Losses;
    public readonly Span<T> LogSumExp;
    public readonly Span<int> Predicted;
    public readonly ReadOnlySpan<T> GradOutput;

    /// <summary>The upstream gradient of a reduced loss (the one value given, else 1); 1 for <see cref="Reduction.None"/>, whose values are per position.</summary>
    public readonly double Upstream;

    /// <exception cref="ArgumentException">A rule is broken; the exception names the output.</exception>
    /// <remarks>The options' class weights must be one per class of the layout, or of <c>weightClasses</c> (all C classes, for a shard of them) when it is given.</remarks>
    public LossOutputs(
        ReadOnlySpan<T> input, ReadOnlySpan<T> probabilities, ClassLayout layout, CrossEntropyOptions<T> options,
        Span<T> gradient, Span<T> losses, Span<T> logSumExp, Span<int> predicted, ReadOnlySpan<T> gradOutput, int weightClasses = -1)
    {
        ReadOnlySpan<T> weight = options.WeightSpan;
        int expectedWeights = weightClasses < 0 ? layout.Classes : weightClasses;
        if (!weight.IsEmpty && weight.Length != expectedWeights)
        {
            ThrowHelper.WeightLengthMismatch(weight.Length, expectedWeights);
        }

        int positions = layout.Positions;
        CheckLengths(positions, input.Length, options.Reduction, gradient.Length, losses.Length, logSumExp.Length, predicted.Length, gradOutput.Length);
        Gradient = gradient.IsEmpty ? default : gradient[..input.Length];
        Losses = losses.IsEmpty ? default : losses[..positions];
        LogSumExp = logSumExp.IsEmpty ? default : logSumExp[..positions];
        Predicted = predicted.IsEmpty ? default : predicted[..positions];
        GradOutput = gradOutput;
        Upstream = UpstreamGradient.Scalar(gradOutput, options.Reduction);

        // The gradient may be the input itself (same start, same length): each row is read before it is written.
        var x = Bytes.Of(input);
        var g = Bytes.Of(Gradient);
        if (g.Overlaps(x) && !g.SameStart(x))
        {
            ThrowHelper.GradientOverlapsInputPartially();
        }

        RefuseOverlap(g, nameof(gradient), Bytes.Of(probabilities), "target");
        RefuseOverlap(g, nameof(gradient), Bytes.Of(weight), "weight");
        RefuseOverlap(g, nameof(gradient), Bytes.Of(GradOutput), nameof(gradOutput));
        var inputs = new Inputs(x, Bytes.Of(probabilities), Bytes.Of(weight), Bytes.Of(GradOutput), g);
        var l = Bytes.Of(Losses);
        var lse = Bytes.Of(LogSumExp);
        var predictions = Bytes.Of(Predicted);
        inputs.Refuse(l, nameof(losses));
        inputs.Refuse(lse, nameof(logSumExp));
        inputs.Refuse(predictions, nameof(predicted));
        RefuseOverlap(lse, nameof(logSumExp), l, nameof(losses));
        RefuseOverlap(predictions, nameof(predicted), l, nameof(losses));
        RefuseOverlap(predictions, nameof(predicted), lse, nameof(logSumExp));
    }

    /// <summary>Refuses an overlap of any output with <paramref name="other"/> (the class-index targets, of any integer type).</summary>
    public void RefuseOverlap(Bytes other, string otherName)
    {
        RefuseOverlap(Bytes.Of(Gradient), "gradient", other, otherName);
        RefuseOverlap(Bytes.Of(Losses), "losses", other, otherName);
        RefuseOverlap(Bytes.Of(LogSumExp), "logSumExp", other, otherName);
        RefuseOverlap(Bytes.Of(Predicted), "predicted", other, otherName);
    }

    /// <summary>
    /// The length rules, for <paramref name="positions"/> positions of an input of <paramref name="inputLength"/>
    /// elements: each output empty or long enough; the upstream gradient only with a gradient, one value per position
    /// (or none) for <see cref="Reduction.None"/>, one value (or none) otherwise.
    /// </summary>
    public static void CheckLengths(long positions, long inputLength, Reduction reduction, long gradient, int losses, int logSumExp, int predicted, int gradOutput)
    {
        if (gradient != 0 && gradient < inputLength)
        {
            ThrowHelper.GradientTooShort((int)gradient, inputLength);
        }

        CheckPerPosition(losses, positions, "losses");
        CheckPerPosition(logSumExp, positions, "logSumExp");
        CheckPerPosition(predicted, positions, "predicted");
        UpstreamGradient.CheckLength(gradOutput, gradient != 0, reduction, positions, "position");
    }

    private static void CheckPerPosition(int length, long positions, string name) => OptionalOutput.Check(length, positions, name, "position");

    private static void RefuseOverlap(Bytes output, string outputName, Bytes other, string otherName)
    {
        if (output.Overlaps(other))
        {
            ThrowHelper.Overlaps(outputName, otherName);
        }
    }

    /// <summary>What a per-position output must not overlap: the inputs and the gradient.</summary>
    private readonly ref struct Inputs(Bytes input, Bytes probabilities, Bytes weight, Bytes gradOutput, Bytes gradient)
    {
        private readonly Bytes _input = input, _probabilities = probabilities, _weight = weight, _gradOutput = gradOutput, _gradient = gradient;

        public void Refuse(Bytes output, string name)
        {
            RefuseOverlap(output, name, _input, "input");
            RefuseOverlap(output, name, _probabilities, "target");
            RefuseOverlap(output, name, _weight, "weight");
            RefuseOverlap(output, name, _gradOutput, "gradOutput");
            RefuseOverlap(output, name, _gradient, "gradient");
        }
    }
}

/// <summary>The rule of an optional output: empty (not asked for), or long enough for the values written into it.</summary>
internal static class OptionalOutput
{
    /// <exception cref="ArgumentException">Neither empty nor <paramref name="required"/> long; names the output.</exception>
    public static void Check(int length, long required, string name, string unit)
    {
        if (length != 0 && length < required)
        {
            ThrowHelper.OutputTooShort(name, length, required, unit);
        }
    }
}
