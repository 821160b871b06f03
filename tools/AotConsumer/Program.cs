// A consumer of the Xent packages published as a trimmed NativeAOT executable (tools/aot-consumer.sh): it calls the
// kernel and the facade the way an application does and prints results that the script checks. Every warning of the
// trimmer and the AOT compiler is an error in its build.
using System;
using System.Globalization;
using System.Numerics.Tensors;
using Xent;

float[] logits = [1.2372f, -0.9604f, 1.5415f];
string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

// Kernel: class indices of two integer types, the summary, the gradient into a buffer.
CrossEntropySummary summary = Functional.CrossEntropy(logits, new[] { 2 }, classes: 3);
CrossEntropySummary fromLong = Functional.CrossEntropy(logits, new long[] { 2 }, classes: 3);
float[] gradient = new float[3];
Functional.CrossEntropy(logits, new byte[] { 2 }, 3, new CrossEntropyOptions<float> { LabelSmoothing = 0.1 }, gradient);
Console.WriteLine($"kernel: loss {F(summary.Loss)}, long labels {F(fromLong.Loss)}, accuracy {F(summary.Accuracy)}, gradient[2] {F(gradient[2])}");

// Kernel: the element-wise losses and a normalizer.
float bce = Functional.BinaryCrossEntropyWithLogits<float>([0.5f, -1f], [1f, 0f]);
float[] probabilities = new float[3];
Functional.Softmax(logits, probabilities, classes: 3);
Console.WriteLine($"kernel: bce {F(bce)}, softmax [{string.Join(", ", Array.ConvertAll(probabilities, p => F(p)))}]");

// Facade: torch.nn.CrossEntropyLoss over tensors, with the summary and a caller-owned gradient buffer.
var loss = new CrossEntropyLoss<float>(weight: [1f, 2f, 0.5f]);
Tensor<float> input = Tensor.Create(logits, [1, 3]);
LossResult<float> result = loss.Forward(input, Tensor.Create(new[] { 2 }, [1]));
Tensor<float> dInput = Tensor.Create(new float[3], [1, 3]);
CrossEntropySummary trained = loss.ForwardWithGradient(input, Tensor.Create(new long[] { 2 }, [1]), dInput);
Console.WriteLine($"facade: loss {F(result.Value)}, correct {result.Summary?.Correct}, into buffer {F(trained.Loss)}, gradient[2] {F(dInput[0, 2])}");
Console.WriteLine($"facade: kl {F(new KlDivLoss<double>(Reduction.BatchMean).Forward([-1.0, -2.0], [2], [0.5, 0.5]).Value)}");
