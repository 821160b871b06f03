using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Xent.Samples.Tests;

public class SoftmaxRegressionTests
{
    [Fact]
    public void Iris_HasFisherShapeAndMeans()
    {
        Iris iris = Iris.Load();
        Assert.Equal(150, iris.Count);
        Assert.Equal(150 * Iris.FeatureCount, iris.Features.Length);
        Assert.All(new[] { 0, 1, 2 }, c => Assert.Equal(50, iris.Labels.Count(l => l == c)));
        // Column means of Fisher's data (the corrected UCI version): 5.843, 3.057, 3.758, 1.199.
        double[] expected = [5.843, 3.057, 3.758, 1.199];
        for (int j = 0; j < Iris.FeatureCount; j++)
        {
            double mean = Enumerable.Range(0, iris.Count).Average(i => iris.Features[i * Iris.FeatureCount + j]);
            Assert.Equal(expected[j], mean, 3);
        }
    }

    [Fact]
    public void Training_StartsAtLnThree_LossDecreasesEveryStep_AndAccuracyIsHigh()
    {
        IReadOnlyList<Training.Epoch> log = Training.Run(steps: 60, learningRate: 0.5f, every: 1);

        // Zero parameters give uniform probabilities: the loss is ln 3.
        Assert.Equal(System.Math.Log(3), log[0].TrainLoss, 5);
        // Full-batch gradient descent on a convex loss with a small enough step decreases the loss at every step.
        for (int i = 1; i < log.Count; i++)
        {
            Assert.True(log[i].TrainLoss < log[i - 1].TrainLoss, $"loss rose at step {log[i].Step}: {log[i - 1].TrainLoss} -> {log[i].TrainLoss}");
        }

        Training.Epoch last = log[^1];
        Assert.True(last.TrainLoss < 0.3f, $"final training loss {last.TrainLoss}");
        Assert.True(last.TrainAccuracy >= 0.9, $"training accuracy {last.TrainAccuracy}");
        Assert.True(last.TestAccuracy >= 0.9, $"test accuracy {last.TestAccuracy}");
    }
}
