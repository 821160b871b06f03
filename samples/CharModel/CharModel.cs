using System;
using System.Numerics.Tensors;

namespace Xent.Samples;

/// <summary>
/// A tiny character-level language model: the embeddings of the <see cref="Context"/> previous characters, concatenated,
/// go through one tanh layer of <see cref="Hidden"/> units, and the output layer (V × Hidden, with a bias) gives the
/// logits of the next character. The output layer's loss and gradients come from
/// <see cref="Functional.LinearCrossEntropy{T, TLabel}(T[], T[], TLabel[], int, T[], CrossEntropyOptions{T}?, T[], T[], T[], T[], T[], int[], T[], bool)"/>,
/// which never holds the batch's logits; the rest is plain loops. Trained with Adam.
/// </summary>
public sealed class CharModel
{
    public const int Context = 4;
    public const int Embedding = 16;
    public const int Hidden = 128;
    private const int Input = Context * Embedding;

    private readonly int _classes;
    private readonly Parameter _embedding, _w1, _b1, _w2, _b2;
    private int _step;

    public CharModel(int classes, int seed)
    {
        _classes = classes;
        var random = new Random(seed);
        _embedding = new Parameter(classes * Embedding, random, 1.0);
        _w1 = new Parameter(Hidden * Input, random, 1.0 / Math.Sqrt(Input));
        _b1 = new Parameter(Hidden, random, 0.0);
        _w2 = new Parameter(classes * Hidden, random, 1.0 / Math.Sqrt(Hidden));
        _b2 = new Parameter(classes, random, 0.0);
    }

    /// <summary>One training step on the windows ending before positions[i]; returns the summary of the batch's loss before the update.</summary>
    public CrossEntropySummary Step(int[] codes, int[] positions, float learningRate)
    {
        int n = positions.Length;
        (float[] x, float[] h, int[] y) = Forward(codes, positions);

        // The output layer: loss, ∂L/∂h, ∂L/∂W2, ∂L/∂b2 in one fused call.
        var dh = new float[n * Hidden];
        CrossEntropySummary summary = Functional.LinearCrossEntropy(h, _w2.Value, y, Hidden, _b2.Value, null, dh, _w2.Gradient, _b2.Gradient);

        // tanh, then the hidden layer and the embeddings.
        Array.Clear(_w1.Gradient);
        Array.Clear(_b1.Gradient);
        Array.Clear(_embedding.Gradient);
        var dx = new float[Input];
        for (int r = 0; r < n; r++)
        {
            Array.Clear(dx);
            for (int j = 0; j < Hidden; j++)
            {
                float hj = h[r * Hidden + j];
                float dpre = dh[r * Hidden + j] * (1 - hj * hj);
                _b1.Gradient[j] += dpre;
                Span<float> row = _w1.Gradient.AsSpan(j * Input, Input);
                TensorPrimitives.MultiplyAdd(x.AsSpan(r * Input, Input), dpre, row, row);
                TensorPrimitives.MultiplyAdd(_w1.Value.AsSpan(j * Input, Input), dpre, dx, dx);
            }

            for (int c = 0; c < Context; c++)
            {
                Span<float> e = _embedding.Gradient.AsSpan(codes[positions[r] - Context + c] * Embedding, Embedding);
                TensorPrimitives.Add(e, dx.AsSpan(c * Embedding, Embedding), e);
            }
        }

        _step++;
        foreach (Parameter p in new[] { _embedding, _w1, _b1, _w2, _b2 })
        {
            p.Adam(learningRate, _step);
        }

        return summary;
    }

    /// <summary>The loss of the windows ending before positions[i], without gradients.</summary>
    public CrossEntropySummary Evaluate(int[] codes, int[] positions)
    {
        (_, float[] h, int[] y) = Forward(codes, positions);
        return Functional.LinearCrossEntropy(h, _w2.Value, y, Hidden, _b2.Value);
    }

    /// <summary>The softmax over the next character after the <see cref="Context"/> codes given.</summary>
    public float[] NextCharacter(ReadOnlySpan<int> context)
    {
        int[] codes = [.. context[^Context..], 0];
        (_, float[] h, _) = Forward(codes, [Context]);
        var logits = new float[_classes];
        for (int c = 0; c < _classes; c++)
        {
            logits[c] = TensorPrimitives.Dot(h, _w2.Value.AsSpan(c * Hidden, Hidden)) + _b2.Value[c];
        }

        var p = new float[_classes];
        Functional.Softmax(logits, p, _classes);
        return p;
    }

    private (float[] X, float[] H, int[] Y) Forward(int[] codes, int[] positions)
    {
        int n = positions.Length;
        var x = new float[n * Input];
        var h = new float[n * Hidden];
        var y = new int[n];
        for (int r = 0; r < n; r++)
        {
            int t = positions[r];
            y[r] = codes[t];
            for (int c = 0; c < Context; c++)
            {
                _embedding.Value.AsSpan(codes[t - Context + c] * Embedding, Embedding).CopyTo(x.AsSpan(r * Input + c * Embedding));
            }

            ReadOnlySpan<float> xr = x.AsSpan(r * Input, Input);
            for (int j = 0; j < Hidden; j++)
            {
                h[r * Hidden + j] = MathF.Tanh(TensorPrimitives.Dot(xr, _w1.Value.AsSpan(j * Input, Input)) + _b1.Value[j]);
            }
        }

        return (x, h, y);
    }

    /// <summary>A parameter, its gradient and Adam's two moments.</summary>
    private sealed class Parameter
    {
        public readonly float[] Value, Gradient;
        private readonly float[] _m, _v;

        public Parameter(int count, Random random, double scale)
        {
            Value = new float[count];
            for (int i = 0; i < count; i++)
            {
                Value[i] = (float)((random.NextDouble() * 2 - 1) * scale);
            }

            Gradient = new float[count];
            _m = new float[count];
            _v = new float[count];
        }

        public void Adam(float learningRate, int step)
        {
            const float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
            float c1 = 1 - MathF.Pow(beta1, step), c2 = 1 - MathF.Pow(beta2, step);
            for (int i = 0; i < Value.Length; i++)
            {
                float g = Gradient[i];
                _m[i] = beta1 * _m[i] + (1 - beta1) * g;
                _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
                Value[i] -= learningRate * (_m[i] / c1) / (MathF.Sqrt(_v[i] / c2) + epsilon);
            }
        }
    }
}
