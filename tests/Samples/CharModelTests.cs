using System;
using System.Linq;
using Xunit;

namespace Xent.Samples.Tests;

public class CharModelTests
{
    [Fact]
    public void Corpus_IsTheGplText_WithItsAlphabet()
    {
        Corpus corpus = Corpus.Load();
        Assert.True(corpus.Codes.Length > 30_000, $"{corpus.Codes.Length} characters");
        Assert.Contains('G', corpus.Alphabet);
        Assert.Equal(corpus.Alphabet.Length, corpus.Classes);
        Assert.All(corpus.Codes, c => Assert.InRange(c, 0, corpus.Classes - 1));
    }

    [Fact]
    public void Training_StartsNearLnV_AndTheHeldOutLossFalls()
    {
        (var reports, _, Corpus corpus) = LanguageModelTraining.Run(steps: 300, batch: 128, learningRate: 3e-3f, every: 100);

        // Small random weights give nearly uniform probabilities at first: the loss is close to ln V.
        Assert.InRange(reports[0].TrainLoss, Math.Log(corpus.Classes) - 0.5, Math.Log(corpus.Classes) + 0.5);

        // The held-out loss falls at every report and ends well below ln V; the fused loss's working memory stays small.
        for (int i = 1; i < reports.Count; i++)
        {
            Assert.True(reports[i].HeldOutLoss < reports[i - 1].HeldOutLoss, $"held-out loss rose at step {reports[i].Step}");
        }

        Assert.True(reports[^1].HeldOutLoss < Math.Log(corpus.Classes) - 1.0, $"final held-out loss {reports[^1].HeldOutLoss}");
        Assert.True(reports.All(r => r.WorkingMemoryBytes < 4 << 20), "the fused loss held more than 4 MiB");
    }
}
