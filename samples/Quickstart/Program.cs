// The library's demonstration: it reproduces the worked examples of the blog posts the project started from,
// first with the immutable loss objects (the facade), then with the allocation-free kernel functions.
using System;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;
using Xent;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

static string Row(ReadOnlySpan<float> values) =>
    "[" + string.Join(", ", values.ToArray().Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture))) + "]";

// Seed 001: three classes, torch.manual_seed(2020); output = torch.randn((1, 3)); target = 2.
Console.WriteLine("What happens inside torch.nn.CrossEntropyLoss (seed 001)");
float[] output = [1.2372f, -0.9604f, 1.5415f];
int[] target = [2];

float[] softmax = new float[3];
Functional.Softmax<float>(output, softmax, classes: 3);
float[] logSoftmax = new float[3];
Functional.LogSoftmax<float>(output, logSoftmax, classes: 3);
float nll = Functional.NllLoss(logSoftmax, target, classes: 3);
float crossEntropy = new CrossEntropyLoss<float>().Forward(output, [1, 3], target).Value;

Console.WriteLine($"output:            {Row(output)}");
Console.WriteLine($"target:            {target[0]}");
Console.WriteLine($"softmax:           {Row(softmax)}");
Console.WriteLine($"logsoftmax:        {Row(logSoftmax)}");
Console.WriteLine($"nllloss:           {nll:0.0000}");
Console.WriteLine($"CrossEntropyLoss:  {crossEntropy:0.0000}");
Console.WriteLine();

// Seed 004: the same loss from one-hot probability targets and from class-index targets.
Console.WriteLine("One-hot targets and index targets give the same loss (seed 004)");
var logits = Tensor.Create(new float[]
{
    0.1f, 0.2f, 0.3f, 0.4f,
    0.2f, 0.3f, 0.35f, 0.15f,
    0.28f, 0.32f, 0.2f, 0.3f,
}, [3, 4]);
var oneHot = Tensor.Create(new float[]
{
    0, 0, 0, 1,
    0, 0, 1, 0,
    0, 1, 0, 0,
}, [3, 4]);
var indices = Tensor.Create(new[] { 3, 2, 1 }, [3]);

var loss = new CrossEntropyLoss<float>();
Console.WriteLine($"one-hot targets:   {loss.ForwardProbabilities(logits, oneHot).Value:0.0000}");
Console.WriteLine($"index targets:     {loss.Forward(logits, indices).Value:0.0000}");
Console.WriteLine();

// PyTorch's options: per-class weights, ignore_index, label smoothing, and reduction 'none'.
var options = new CrossEntropyLoss<float>(Reduction.None, weight: [1f, 2f, 0.5f, 1f], ignoreIndex: 1, labelSmoothing: 0.1);
LossResult<float> perRow = options.Forward(logits, indices);
Console.WriteLine(options);
float[] rows = new float[3];
perRow.Elements!.FlattenTo(rows);
Console.WriteLine($"per-row losses:    {Row(rows)}  (the third target is 1 = ignoreIndex)");
