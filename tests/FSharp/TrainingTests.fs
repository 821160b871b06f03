/// Softmax regression trained the functional way: a fold over epochs, each producing new immutable parameters.
module Xent.FSharp.Tests.TrainingTests

open Xent
open Xunit

type Model = { Weights: float32[]; Bias: float32[] } // Weights: features × classes, row-major

let features, classes = 2, 3

/// Three well-separated clusters, four points each.
let samples =
    let centers = [ 2.0f, 0.0f; -1.0f, 1.7f; -1.0f, -1.7f ]
    let offsets = [ 0.3f, 0.1f; -0.2f, 0.25f; 0.1f, -0.3f; -0.25f, -0.1f ]
    [ for label, (cx, cy) in List.indexed centers do
          for dx, dy in offsets -> [| cx + dx; cy + dy |], label ]

let inputs = samples |> List.map fst |> Array.concat // N × features, row-major
let labels = samples |> List.map snd |> Array.ofList
let count = labels.Length

let logits model =
    Array.init (count * classes) (fun i ->
        let n, c = i / classes, i % classes
        model.Bias[c] + Array.sum (Array.init features (fun f -> inputs[n * features + f] * model.Weights[f * classes + c])))

/// One step of gradient descent: the kernel gives ∂loss/∂logits, the chain rule the rest.
let step rate model =
    let gradient = Array.zeroCreate (count * classes)
    let result = Functional.CrossEntropy(logits model, labels, classes = classes, gradient = gradient)
    let dLogits n c = gradient[n * classes + c]
    let dWeights = Array.init (features * classes) (fun i -> Seq.sum (seq { for n in 0 .. count - 1 -> inputs[n * features + i / classes] * dLogits n (i % classes) }))
    let dBias = Array.init classes (fun c -> Seq.sum (seq { for n in 0 .. count - 1 -> dLogits n c }))
    let descend = Array.map2 (fun w g -> w - rate * g)
    { Weights = descend model.Weights dWeights; Bias = descend model.Bias dBias }, float32 result.Loss

let train epochs rate =
    let start = { Weights = Array.zeroCreate (features * classes); Bias = Array.zeroCreate classes }
    ((start, []), [ 1 .. epochs ])
    ||> List.fold (fun (model, losses) _ ->
        let next, loss = step rate model
        next, loss :: losses)
    |> fun (model, losses) -> model, List.rev losses

let predict model =
    logits model |> Array.chunkBySize classes |> Array.map (Array.indexed >> Array.maxBy snd >> fst)

[<Fact>]
let ``the training loss decreases at every epoch and the model separates the clusters`` () =
    let model, losses = train 100 0.5f
    // Zero parameters predict the uniform distribution: the loss starts at log 3.
    Assertions.close 1e-6 (log 3.0) (List.head losses)
    Assert.True(losses |> List.pairwise |> List.forall (fun (before, after) -> after < before), sprintf "%A" losses)
    let final = CrossEntropyLoss().Forward(logits model, [| count; classes |], labels).Value
    Assert.True(final < 0.05f, sprintf "final loss %g" final)
    Assert.Equal<int>(labels, predict model)

[<Fact>]
let ``training is a pure function of its inputs`` () =
    let first, firstLosses = train 20 0.5f
    let again, againLosses = train 20 0.5f
    Assert.Equal<float32>(first.Weights, again.Weights)
    Assert.Equal<float32 list>(firstLosses, againLosses)
