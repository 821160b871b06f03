using System;
using System.Collections.Generic;
using System.Linq;

namespace Xent.Samples;

/// <summary>Trains <see cref="CharModel"/> on the first 90% of the corpus and reports, every so often, the loss on a fixed training batch and on the last 10%.</summary>
public static class LanguageModelTraining
{
    /// <summary>One report: the step, the training batch's loss and accuracy before it, the held-out loss and accuracy, and the kernel's working memory.</summary>
    public sealed record Report(int Step, double TrainLoss, double TrainAccuracy, double HeldOutLoss, double HeldOutAccuracy, long WorkingMemoryBytes);

    public static (IReadOnlyList<Report> Reports, CharModel Model, Corpus Corpus) Run(int steps, int batch, float learningRate, int every, int seed = 1)
    {
        Corpus corpus = Corpus.Load();
        int split = corpus.Codes.Length * 9 / 10;
        var random = new Random(seed);
        var model = new CharModel(corpus.Classes, seed);
        int[] heldOut = [.. Enumerable.Range(split + CharModel.Context, corpus.Codes.Length - split - CharModel.Context)];
        var reports = new List<Report>();
        for (int step = 0; step <= steps; step++)
        {
            int[] positions = [.. Enumerable.Range(0, batch).Select(_ => random.Next(CharModel.Context, split))];
            CrossEntropySummary train = step < steps ? model.Step(corpus.Codes, positions, learningRate) : model.Evaluate(corpus.Codes, positions);
            if (step % every == 0 || step == steps)
            {
                CrossEntropySummary held = model.Evaluate(corpus.Codes, heldOut);
                reports.Add(new Report(step, train.Loss, train.Accuracy, held.Loss, held.Accuracy, Functional.WorkingMemoryBytes));
            }
        }

        return (reports, model, corpus);
    }

    /// <summary>Text the model writes after a prompt, one character at a time, each drawn from its softmax (at temperature 1).</summary>
    public static string Write(CharModel model, Corpus corpus, string prompt, int length, int seed)
    {
        var random = new Random(seed);
        var codes = prompt.Select(c => Math.Max(0, Array.BinarySearch(corpus.Alphabet, c))).ToList();
        var text = new System.Text.StringBuilder(prompt);
        for (int i = 0; i < length; i++)
        {
            float[] p = model.NextCharacter(codes.ToArray());
            double u = random.NextDouble(), sum = 0;
            int next = p.Length - 1;
            for (int c = 0; c < p.Length; c++)
            {
                sum += p[c];
                if (u < sum)
                {
                    next = c;
                    break;
                }
            }

            codes.Add(next);
            text.Append(corpus.Alphabet[next]);
        }

        return text.ToString();
    }
}
