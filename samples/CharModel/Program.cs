using System;
using System.Globalization;
using Xent;
using Xent.Samples;

// A character-level language model's head trained with the fused loss (Functional.LinearCrossEntropy): the loss falls
// from ln V (a uniform guess) as the model learns the text, and the kernel's working memory stays a few KiB where the
// unfused loss would hold the batch's logits and their gradient.
const int steps = 1500, batch = 256, every = 150;
(var reports, CharModel model, Corpus corpus) = LanguageModelTraining.Run(steps, batch, learningRate: 3e-3f, every);
int heldOut = corpus.Codes.Length - corpus.Codes.Length * 9 / 10 - CharModel.Context;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Corpus: {corpus.Codes.Length} characters, V = {corpus.Classes} classes, ln V = {Math.Log(corpus.Classes):F3}."));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Unfused, a training batch of {batch} would hold its logits and their gradient ({2 * batch * corpus.Classes * 4 / 1024.0:F0} KiB), the held-out set of {heldOut} windows its logits and their log-softmax ({2.0 * heldOut * corpus.Classes * 4 / 1024.0:F0} KiB)."));
Console.WriteLine("The fused loss holds instead the working memory below (Functional.WorkingMemoryBytes: its blocks, kept for reuse, sized by the rows and the hidden width; with a vocabulary this small they are not smaller than the logits, with 32,000 classes they are 1-2% of them).");
Console.WriteLine();
Console.WriteLine("step  train loss  train acc  held-out loss  held-out acc  working memory");
foreach (LanguageModelTraining.Report r in reports)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{r.Step,4}  {r.TrainLoss,10:F3}  {r.TrainAccuracy,9:P0}  {r.HeldOutLoss,13:F3}  {r.HeldOutAccuracy,12:P0}  {r.WorkingMemoryBytes / 1024.0,10:F0} KiB"));
}

Console.WriteLine();
Console.WriteLine("The model writes, after \"the \":");
Console.WriteLine(LanguageModelTraining.Write(model, corpus, "the ", 160, seed: 7));
