using System;
using System.Numerics.Tensors;

namespace Xent.Samples;

/// <summary>
/// Multinomial logistic (softmax) regression trained by full-batch gradient descent: logits = X·W + b, loss = mean
/// cross entropy, and the gradient ∂L/∂logits comes from <see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>
/// in the same pass as the loss. The only other arithmetic is the two small matrix products of the chain rule.
/// </summary>
public sealed class SoftmaxClassifier
{
    private readonly int _features;
    private readonly int _classes;
    private readonly float[] _weights; // (features, classes)
    private readonly float[] _bias;    // (classes)

    /// <summary>Creates a classifier with all parameters zero (the loss then starts at ln C).</summary>
    public SoftmaxClassifier(int features, int classes)
    {
        _features = features;
        _classes = classes;
        _weights = new float[features * classes];
        _bias = new float[classes];
    }

    /// <summary>logits (N, C) = x (N, F) · W (F, C) + b.</summary>
    public void Logits(ReadOnlySpan<float> x, Span<float> logits)
    {
        int n = x.Length / _features;
        for (int i = 0; i < n; i++)
        {
            Span<float> row = logits.Slice(i * _classes, _classes);
            _bias.CopyTo(row);
            for (int f = 0; f < _features; f++)
            {
                // row += x[i, f] · W[f, :]
                TensorPrimitives.MultiplyAdd(_weights.AsSpan(f * _classes, _classes), x[i * _features + f], row, row);
            }
        }
    }

    /// <summary>One step of gradient descent on the mean cross entropy; returns the loss before the step.</summary>
    public float Step(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, float learningRate)
    {
        int n = labels.Length;
        var logits = new float[n * _classes];
        Logits(x, logits);

        // The loss and ∂L/∂logits, written over the logits buffer (the gradient may be the input itself), which is not
        // needed afterwards. The summary's loss is a double: cast to float, it is PyTorch's float loss, rounded once.
        float loss = (float)Functional.CrossEntropy(logits, labels, _classes, gradient: logits).Loss;
        ReadOnlySpan<float> gradLogits = logits;

        // Chain rule: ∂L/∂W = Xᵀ·∂L/∂logits, ∂L/∂b = Σ_rows ∂L/∂logits.
        var gradWeights = new float[_weights.Length];
        var gradBias = new float[_classes];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> g = gradLogits.Slice(i * _classes, _classes);
            TensorPrimitives.Add(gradBias, g, gradBias);
            for (int f = 0; f < _features; f++)
            {
                Span<float> gw = gradWeights.AsSpan(f * _classes, _classes);
                TensorPrimitives.MultiplyAdd(g, x[i * _features + f], gw, gw);
            }
        }

        // θ ← θ − η·∂L/∂θ
        TensorPrimitives.MultiplyAdd(gradWeights, -learningRate, _weights, _weights);
        TensorPrimitives.MultiplyAdd(gradBias, -learningRate, _bias, _bias);
        return loss;
    }

    /// <summary>Mean cross entropy of the current parameters (no gradient work).</summary>
    public float Loss(ReadOnlySpan<float> x, ReadOnlySpan<int> labels)
    {
        var logits = new float[labels.Length * _classes];
        Logits(x, logits);
        return (float)Functional.CrossEntropy(logits, labels, _classes).Loss;
    }

    /// <summary>Fraction of rows whose largest logit is at the label.</summary>
    public double Accuracy(ReadOnlySpan<float> x, ReadOnlySpan<int> labels)
    {
        var logits = new float[labels.Length * _classes];
        Logits(x, logits);
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (TensorPrimitives.IndexOfMax<float>(logits.AsSpan(i * _classes, _classes)) == labels[i])
            {
                correct++;
            }
        }

        return (double)correct / labels.Length;
    }
}
