using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace Xent.Samples;

/// <summary>The Iris experiment: standardized features, a fixed train/test split, full-batch gradient descent.</summary>
public static class Training
{
    /// <summary>One line of the training log.</summary>
    public readonly record struct Epoch(int Step, float TrainLoss, double TrainAccuracy, double TestAccuracy);

    /// <summary>
    /// Splits the 150 flowers into 120 for training and 30 for testing (every fifth flower, so each species is in
    /// both), standardizes each feature with the training mean and deviation, and trains for <paramref name="steps"/>
    /// steps, logging every <paramref name="every"/> steps and the last.
    /// </summary>
    public static IReadOnlyList<Epoch> Run(int steps, float learningRate, int every)
    {
        Iris iris = Iris.Load();
        int f = Iris.FeatureCount;
        var trainX = new List<float>();
        var trainY = new List<int>();
        var testX = new List<float>();
        var testY = new List<int>();
        for (int i = 0; i < iris.Count; i++)
        {
            bool test = i % 5 == 4;
            (test ? testX : trainX).AddRange(iris.Features.AsSpan(i * f, f));
            (test ? testY : trainY).Add(iris.Labels[i]);
        }

        float[] xTrain = trainX.ToArray();
        float[] xTest = testX.ToArray();
        Standardize(xTrain, xTest, f);

        var model = new SoftmaxClassifier(f, Iris.Species.Length);
        var log = new List<Epoch>();
        for (int step = 0; step < steps; step++)
        {
            float loss = model.Step(xTrain, trainY.ToArray(), learningRate);
            if (step % every == 0)
            {
                log.Add(new Epoch(step, loss, model.Accuracy(xTrain, trainY.ToArray()), model.Accuracy(xTest, testY.ToArray())));
            }
        }

        log.Add(new Epoch(steps, model.Loss(xTrain, trainY.ToArray()), model.Accuracy(xTrain, trainY.ToArray()), model.Accuracy(xTest, testY.ToArray())));
        return log;
    }

    private static void Standardize(float[] train, float[] test, int features)
    {
        int n = train.Length / features;
        Span<float> column = new float[n];
        for (int j = 0; j < features; j++)
        {
            for (int i = 0; i < n; i++)
            {
                column[i] = train[i * features + j];
            }

            float mean = TensorPrimitives.Sum<float>(column) / n;
            TensorPrimitives.Subtract(column, mean, column);
            float deviation = MathF.Sqrt(TensorPrimitives.SumOfSquares<float>(column) / n);
            foreach (float[] data in new[] { train, test })
            {
                for (int i = j; i < data.Length; i += features)
                {
                    data[i] = (data[i] - mean) / deviation;
                }
            }
        }
    }
}
