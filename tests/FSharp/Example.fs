/// The example the README quotes, compiled and checked by ExampleTests (KernelTests.fs): everything below the
/// module line is the snippet, verbatim.
module Xent.FSharp.Tests.Example

open Xent

// Seed 001: logits for three classes, target class 2 (arrays in, values out).
let logits = [| 1.2372f; -0.9604f; 1.5415f |]
let probabilities = Functional.Softmax(logits, classes = 3)          // [|0.4054f; 0.0450f; 0.5496f|]
let loss = Functional.CrossEntropy(logits, [| 2 |], classes = 3)     // 0.5986f

// One loss per row of a batch, in a pipeline.
let rowLosses =
    [ [| 0.1f; 0.2f; 0.3f; 0.4f |], 3
      [| 0.2f; 0.3f; 0.35f; 0.15f |], 2 ]
    |> List.map (fun (row, label) -> Functional.CrossEntropy(row, [| label |], classes = 4))

// Loss and gradient from one pass; the facade takes PyTorch's options by name.
let step = Functional.CrossEntropyWithGradient(logits, [| 2 |], classes = 3)    // step.Loss, step.Gradient
let smoothed = CrossEntropyLoss(labelSmoothing = 0.1).Forward(logits, [| 1; 3 |], [| 2 |]).Value
