/// The example the README quotes, compiled and checked by ExampleTests (KernelTests.fs): everything below the
/// module line is the snippet, verbatim.
module Xent.FSharp.Tests.Example

open Xent

// Seed 001: logits for three classes, target class 2 (arrays in; outputs go to arrays you allocate).
let logits = [| 1.2372f; -0.9604f; 1.5415f |]
let probabilities = Array.zeroCreate<float32> 3
Functional.Softmax(logits, probabilities, classes = 3)                      // [|0.4054f; 0.0450f; 0.5496f|]
let loss = float32 (Functional.CrossEntropy(logits, [| 2 |], classes = 3).Loss)   // 0.5986f

// One loss per row of a batch, in a pipeline.
let rowLosses =
    [ [| 0.1f; 0.2f; 0.3f; 0.4f |], 3
      [| 0.2f; 0.3f; 0.35f; 0.15f |], 2 ]
    |> List.map (fun (row, label) -> float32 (Functional.CrossEntropy(row, [| label |], classes = 4).Loss))

// Loss and gradient from one pass, by name; the facade takes PyTorch's options by name.
let gradient = Array.zeroCreate<float32> logits.Length
let step = Functional.CrossEntropy(logits, [| 2 |], classes = 3, gradient = gradient)   // step.Loss, step.Accuracy
let smoothed = CrossEntropyLoss(labelSmoothing = 0.1).Forward(logits, [| 1; 3 |], [| 2 |]).Value
