using System;
using System.Numerics;

namespace Xent.Properties;

/// <summary>
/// Calls the kernel in element type <typeparamref name="T"/> on float64 problem data (each value converted to T,
/// i.e. rounded for float) and widens the results back to double. Loss wrappers take a <see cref="Reduction"/>:
/// None returns one value per position, Mean and Sum a one-element array.
/// </summary>
public static class Run<T>
    where T : IFloatingPointIeee754<T>
{
    public static readonly Reduction[] AllReductions = { Reduction.None, Reduction.Mean, Reduction.Sum };

    public static T[] To(double[] values)
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateTruncating(values[i]);
        }

        return result;
    }

    public static double[] Widen(ReadOnlySpan<T> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = double.CreateTruncating(values[i]);
        }

        return result;
    }

    private static T[]? Weights(Problem pr) => pr.Weights is null ? null : To(pr.Weights);

    public static double[] Softmax(double[] input, int classes, int inner)
    {
        var destination = new T[input.Length];
        Functional.Softmax<T>(To(input), destination, classes, inner);
        return Widen(destination);
    }

    public static double[] SoftmaxInPlace(double[] input, int classes, int inner)
    {
        T[] buffer = To(input);
        Functional.Softmax<T>(buffer, buffer, classes, inner);
        return Widen(buffer);
    }

    public static double[] LogSoftmax(double[] input, int classes, int inner)
    {
        var destination = new T[input.Length];
        Functional.LogSoftmax<T>(To(input), destination, classes, inner);
        return Widen(destination);
    }

    public static double[] LogSoftmaxInPlace(double[] input, int classes, int inner)
    {
        T[] buffer = To(input);
        Functional.LogSoftmax<T>(buffer, buffer, classes, inner);
        return Widen(buffer);
    }

    public static double[] LogSumExp(double[] input, int classes, int inner)
    {
        var destination = new T[input.Length / classes];
        Functional.LogSumExp<T>(To(input), destination, classes, inner);
        return Widen(destination);
    }

    public static double LogSumExp(double[] vector) => double.CreateTruncating(Functional.LogSumExp<T>(To(vector)));

    public static double[] Softmax(Problem pr) => Softmax(pr.Logits, pr.Classes, pr.Inner);

    public static double[] LogSoftmax(Problem pr) => LogSoftmax(pr.Logits, pr.Classes, pr.Inner);

    public static double[] LogSumExp(Problem pr) => LogSumExp(pr.Logits, pr.Classes, pr.Inner);

    /// <summary>The problem's options in element type T: its weights, ignore index, label smoothing and <paramref name="reduction"/>.</summary>
    public static CrossEntropyOptions<T> Options(Problem pr, Reduction reduction, bool smoothing = true) => new()
    {
        Weight = Weights(pr),
        IgnoreIndex = pr.IgnoreIndex,
        Reduction = reduction,
        LabelSmoothing = smoothing ? pr.LabelSmoothing : 0.0,
    };

    /// <summary>Cross entropy with the problem's index targets.</summary>
    public static double[] IndexCrossEntropy(Problem pr, Reduction reduction)
    {
        T[] input = To(pr.Logits);
        if (reduction == Reduction.None)
        {
            var destination = new T[pr.Positions];
            Functional.CrossEntropy(input, pr.Targets, pr.Classes, Options(pr, Reduction.None), losses: destination, inner: pr.Inner);
            return Widen(destination);
        }

        T loss = T.CreateTruncating(Functional.CrossEntropy(input, pr.Targets, pr.Classes, Options(pr, reduction), inner: pr.Inner).Loss);
        return new[] { double.CreateTruncating(loss) };
    }

    /// <summary>Cross entropy with the problem's probability targets.</summary>
    public static double[] ProbabilityCrossEntropy(Problem pr, Reduction reduction)
    {
        T[] input = To(pr.Logits);
        T[] target = To(pr.Probabilities);
        if (reduction == Reduction.None)
        {
            var destination = new T[pr.Positions];
            Functional.CrossEntropyProbabilities(input, target, pr.Classes, Options(pr, Reduction.None), losses: destination, inner: pr.Inner);
            return Widen(destination);
        }

        T loss = T.CreateTruncating(Functional.CrossEntropyProbabilities(input, target, pr.Classes, Options(pr, reduction), inner: pr.Inner).Loss);
        return new[] { double.CreateTruncating(loss) };
    }

    /// <summary>NLL of <paramref name="input"/> (log-probabilities or anything else) with the problem's targets.</summary>
    public static double[] NllLoss(Problem pr, double[] input, Reduction reduction)
    {
        T[] x = To(input);
        if (reduction == Reduction.None)
        {
            var destination = new T[pr.Positions];
            Functional.NllLoss(x, pr.Targets, pr.Classes, Options(pr, Reduction.None, smoothing: false), losses: destination, inner: pr.Inner);
            return Widen(destination);
        }

        T loss = Functional.NllLoss(x, pr.Targets, pr.Classes, Options(pr, reduction, smoothing: false), inner: pr.Inner);
        return new[] { double.CreateTruncating(loss) };
    }
}
