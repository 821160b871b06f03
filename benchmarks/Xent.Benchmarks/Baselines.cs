using System;
using System.Numerics.Tensors;

namespace Xent.Benchmarks;

/// <summary>What a user would write without the library: a plain scalar loop, and the straightforward TensorPrimitives composition per row.</summary>
public static class Baselines
{
    /// <summary>Mean cross entropy with a scalar loop: max, Σ exp(x − max), log, per row.</summary>
    public static float ScalarLoopForward(float[] logits, int[] targets, int classes)
    {
        int rows = targets.Length;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            int offset = r * classes;
            float max = float.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                max = MathF.Max(max, logits[offset + c]);
            }

            float sum = 0;
            for (int c = 0; c < classes; c++)
            {
                sum += MathF.Exp(logits[offset + c] - max);
            }

            total += MathF.Log(sum) - (logits[offset + targets[r]] - max);
        }

        return (float)(total / rows);
    }

    /// <summary>Mean cross entropy and its gradient (softmax − onehot) / N with a scalar loop.</summary>
    public static float ScalarLoopForwardBackward(float[] logits, int[] targets, int classes, float[] gradient)
    {
        int rows = targets.Length;
        double total = 0;
        float scale = 1f / rows;
        for (int r = 0; r < rows; r++)
        {
            int offset = r * classes;
            float max = float.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                max = MathF.Max(max, logits[offset + c]);
            }

            float sum = 0;
            for (int c = 0; c < classes; c++)
            {
                float e = MathF.Exp(logits[offset + c] - max);
                gradient[offset + c] = e;
                sum += e;
            }

            float inverse = scale / sum;
            for (int c = 0; c < classes; c++)
            {
                gradient[offset + c] *= inverse;
            }

            gradient[offset + targets[r]] -= scale;
            total += MathF.Log(sum) - (logits[offset + targets[r]] - max);
        }

        return (float)(total / rows);
    }

    /// <summary>Mean cross entropy composed from TensorPrimitives per row: Max, Subtract, Exp, Sum.</summary>
    public static float TensorPrimitivesForward(float[] logits, int[] targets, int classes, float[] rowBuffer)
    {
        int rows = targets.Length;
        double total = 0;
        Span<float> tmp = rowBuffer.AsSpan(0, classes);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(r * classes, classes);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, tmp);
            TensorPrimitives.Exp(tmp, tmp);
            float sum = TensorPrimitives.Sum<float>(tmp);
            total += MathF.Log(sum) - (row[targets[r]] - max);
        }

        return (float)(total / rows);
    }

    /// <summary>Mean cross entropy and its gradient composed from TensorPrimitives per row.</summary>
    public static float TensorPrimitivesForwardBackward(float[] logits, int[] targets, int classes, float[] gradient)
    {
        int rows = targets.Length;
        double total = 0;
        float scale = 1f / rows;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(r * classes, classes);
            Span<float> g = gradient.AsSpan(r * classes, classes);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, g);
            TensorPrimitives.Exp(g, g);
            float sum = TensorPrimitives.Sum<float>(g);
            TensorPrimitives.Multiply(g, scale / sum, g);
            g[targets[r]] -= scale;
            total += MathF.Log(sum) - (row[targets[r]] - max);
        }

        return (float)(total / rows);
    }
}
