/// The kernel (Functional) called the way an F# developer writes: arrays in, values out, pipelines.
module Xent.FSharp.Tests.KernelTests

open System
open Xent
open Xunit
open Xent.FSharp.Tests.Assertions

let seed001 = [| 1.2372f; -0.9604f; 1.5415f |]

let seed004 =
    [| 0.1f; 0.2f; 0.3f; 0.4f
       0.2f; 0.3f; 0.35f; 0.15f
       0.28f; 0.32f; 0.2f; 0.3f |]

let oneHot004 =
    [| 0.0f; 0.0f; 0.0f; 1.0f
       0.0f; 0.0f; 1.0f; 0.0f
       0.0f; 1.0f; 0.0f; 0.0f |]

let labels004 = [| 3; 2; 1 |]

[<Fact>]
let ``the README example computes the seed 001 values`` () =
    allClose fourDecimals [ 0.4054; 0.0450; 0.5496 ] Example.probabilities
    close fourDecimals 0.5986 Example.loss
    allClose 1e-6 [ float (Functional.CrossEntropy(seed004[0..3], [| 3 |], classes = 4))
                    float (Functional.CrossEntropy(seed004[4..7], [| 2 |], classes = 4)) ] Example.rowLosses
    Assert.Equal(Example.loss, Example.step.Loss)
    // ∂loss/∂logits = softmax − onehot(2).
    allClose 1e-6 [ 0.4053925; 0.0450267; 0.5495808 - 1.0 ] Example.step.Gradient
    Assert.True(Example.smoothed > Example.loss, "label smoothing raises the loss of a confident correct prediction")

[<Fact>]
let ``seed 001: softmax, log-softmax, NLL and cross entropy`` () =
    let logProbabilities = Functional.LogSoftmax(seed001, classes = 3)
    allClose fourDecimals [ 0.4054; 0.0450; 0.5496 ] (Functional.Softmax(seed001, classes = 3))
    allClose fourDecimals [ -0.9029; -3.1005; -0.5986 ] logProbabilities
    close fourDecimals 0.5986 (Functional.NllLoss(logProbabilities, [| 2 |], classes = 3))
    close fourDecimals 0.5986 (Functional.CrossEntropy(seed001, [| 2 |], classes = 3))
    close fourDecimals 0.5986 (Functional.CrossEntropy(seed001, [| 0.0f; 0.0f; 1.0f |], classes = 3))
    // log Σ exp is the logit minus its log-probability.
    close fourDecimals (float seed001[2] + 0.5986) (Functional.LogSumExp seed001)

[<Fact>]
let ``seed 004: one-hot and index targets give the same loss`` () =
    let fromOneHot = Functional.CrossEntropy(seed004, oneHot004, classes = 4)
    let fromIndices = Functional.CrossEntropy(seed004, labels004, classes = 4)
    close fourDecimals 1.2914 fromOneHot
    close fourDecimals 1.2914 fromIndices
    close 1e-6 (float fromIndices) fromOneHot

[<Fact>]
let ``double precision is the same call`` () =
    let logits = seed001 |> Array.map float
    close 1e-4 0.5986 (Functional.CrossEntropy(logits, [| 2 |], classes = 3))
    close 1e-4 0.5986 (Functional.CrossEntropy(logits, [| 0.0; 0.0; 1.0 |], classes = 3))

[<Fact>]
let ``a pipeline of per-batch losses`` () =
    let rows = seed004 |> Array.chunkBySize 4
    let batches = [ [ 0; 1 ]; [ 2 ]; [ 0; 1; 2 ] ]
    let batchLoss indices =
        let logits = indices |> List.map (fun i -> rows[i]) |> Array.concat
        let labels = indices |> List.map (fun i -> labels004[i]) |> Array.ofList
        Functional.CrossEntropy(logits, labels, classes = 4)
    let perRow = Functional.CrossEntropyPerElement(seed004, labels004, classes = 4)
    let expected = batches |> List.map (fun indices -> indices |> List.averageBy (fun i -> float perRow[i]))
    allClose 1e-6 expected (batches |> List.map batchLoss)
    close fourDecimals 1.2914 (batchLoss [ 0; 1; 2 ])
    // The sum reduction is the mean times the batch size.
    close 2e-4 (3.0 * 1.2914) (Functional.CrossEntropy(seed004, labels004, classes = 4, reduction = Reduction.Sum))

[<Fact>]
let ``arrays live in closures: a curried loss over rescaled logits`` () =
    // Arrays can be captured by closures (spans cannot): a curried loss for one label set.
    let lossOf (labels: int[]) (logits: float32[]) = Functional.CrossEntropyPerElement(logits, labels, classes = 4) |> Array.sum
    let scaled = [ 1.0f; 2.0f; 10.0f ] |> List.map (fun k -> seed004 |> Array.map ((*) k) |> lossOf labels004)
    close 2e-4 (3.0 * 1.2914) scaled[0]
    // Every row's largest logit is its label, so sharper logits only lower the loss.
    Assert.True(scaled |> List.pairwise |> List.forall (fun (before, after) -> after < before), sprintf "%A" scaled)

[<Fact>]
let ``the gradient from the array API equals the span API bit for bit`` () =
    let viaArrays = Functional.CrossEntropyWithGradient(seed004, labels004, classes = 4, labelSmoothing = 0.1)
    // The span API, for reference: the caller owns the buffer.
    let buffer = Array.zeroCreate<float32> seed004.Length
    let viaSpans = Functional.CrossEntropyWithGradient(ReadOnlySpan seed004, ReadOnlySpan labels004, Span buffer, 4, labelSmoothing = 0.1)
    Assert.Equal(viaSpans, viaArrays.Loss)
    identical buffer viaArrays.Gradient
    // And the loss-only call returns the same loss.
    Assert.Equal(Functional.CrossEntropy(seed004, labels004, classes = 4, labelSmoothing = 0.1), viaArrays.Loss)
    // Each row's gradient sums to zero (softmax minus a distribution).
    viaArrays.Gradient |> Array.chunkBySize 4 |> Array.iter (fun row -> close 1e-6 0.0 (Array.sum row))

[<Fact>]
let ``per-element losses with a vector-Jacobian product`` () =
    let ones = Array.create labels004.Length 1.0f
    let result = Functional.CrossEntropyPerElementWithGradient(seed004, labels004, ones, classes = 4)
    identical (Functional.CrossEntropyPerElement(seed004, labels004, classes = 4)) result.Losses
    // With an upstream gradient of ones this is the gradient of the sum.
    identical (Functional.CrossEntropyWithGradient(seed004, labels004, classes = 4, reduction = Reduction.Sum).Gradient) result.Gradient

[<Fact>]
let ``ignored targets and class weights by name`` () =
    let weight = [| 1.0f; 2.0f; 0.5f; 1.0f |]
    let losses = Functional.CrossEntropyPerElement(seed004, labels004, classes = 4, weight = weight, ignoreIndex = 1)
    Assert.Equal(0.0f, losses[2])
    let unweighted = Functional.CrossEntropyPerElement(seed004, labels004, classes = 4)
    close 1e-6 (float unweighted[0] * 1.0) losses[0]
    close 1e-6 (float unweighted[1] * 0.5) losses[1]
    // The mean divides by the weights of the targets that count: w[3] + w[2].
    close 1e-6 (float (losses[0] + losses[1]) / 1.5) (Functional.CrossEntropy(seed004, labels004, classes = 4, weight = weight, ignoreIndex = 1))

[<Fact>]
let ``normalizers and their backward passes`` () =
    let probabilities = Functional.Softmax(seed004, classes = 4)
    probabilities |> Array.chunkBySize 4 |> Array.iter (fun row -> close 1e-6 1.0 (Array.sum row))
    let logSumExp = Functional.LogSumExp(seed004, classes = 4)
    allClose 1e-6 (seed004 |> Array.chunkBySize 4 |> Array.map (Functional.LogSumExp >> float)) logSumExp
    // d(log Σ exp)/dx is the softmax; through log-softmax with g = onehot it is onehot − softmax·Σg.
    let ones = Array.create 3 1.0f
    allClose 1e-6 (Array.map float probabilities) (Functional.LogSumExpBackward(seed004, logSumExp, ones, classes = 4))
    let upstream = oneHot004
    let viaLogSoftmax = Functional.LogSoftmaxBackward(Functional.LogSoftmax(seed004, classes = 4), upstream, classes = 4)
    allClose 1e-6 (Array.map2 (fun t p -> float (t - p)) upstream probabilities) viaLogSoftmax
    let viaSoftmax = Functional.SoftmaxBackward(probabilities, upstream, classes = 4)
    viaSoftmax |> Array.chunkBySize 4 |> Array.iter (fun row -> close 1e-6 0.0 (Array.sum row))

[<Fact>]
let ``binary cross entropy and KL divergence from arrays`` () =
    let logits = [| 0.5f; -1.0f; 2.0f; 0.0f |]
    let targets = [| 1.0f; 0.0f; 1.0f; 0.5f |]
    let softplus (z: float) = max z 0.0 + log (1.0 + exp (-(abs z)))
    let reference = Array.map2 (fun (x: float32) (t: float32) -> float t * softplus (-(float x)) + (1.0 - float t) * softplus (float x)) logits targets
    allClose 1e-6 reference (Functional.BinaryCrossEntropyWithLogitsPerElement(logits, targets))
    close 1e-6 (Array.average reference) (Functional.BinaryCrossEntropyWithLogits(logits, targets))
    // A third array is the weight (never a destination): every loss doubles.
    let weighted = Functional.BinaryCrossEntropyWithLogitsPerElement(logits, targets, Array.create 4 2.0f)
    allClose 1e-6 (reference |> Array.map ((*) 2.0)) weighted
    let probabilities = logits |> Array.map (fun x -> 1.0f / (1.0f + exp -x))
    let bce = Functional.BinaryCrossEntropyWithGradient(probabilities, targets)
    close 1e-5 (Array.average reference) bce.Loss
    // KL(p ‖ q) with q = softmax(x): Σ p·(log p − log q), 0·log 0 = 0.
    let p = [| 0.7f; 0.2f; 0.1f; 0.0f |]
    let logQ = Functional.LogSoftmax(logits, classes = 4)
    let kl = Array.map2 (fun (p: float32) (lq: float32) -> if p = 0.0f then 0.0 else float p * (log (float p) - float lq)) p logQ |> Array.sum
    close 1e-6 kl (Functional.KlDiv(logQ, p, reduction = Reduction.Sum))
    let withGradient = Functional.KlDivWithGradient(logQ, p, reduction = Reduction.BatchMean, batchSize = 1)
    close 1e-6 kl withGradient.Loss
    allClose 0.0 (p |> Array.map (fun p -> -(float p))) withGradient.Gradient

[<Fact>]
let ``errors surface as ArgumentException naming the parameter`` () =
    let outOfRange = Assert.ThrowsAny<ArgumentException>(fun () -> Functional.CrossEntropy(seed001, [| 3 |], classes = 3) |> ignore)
    Assert.Equal("target", outOfRange.ParamName)
    let wrongCount = Assert.ThrowsAny<ArgumentException>(fun () -> Functional.CrossEntropy(seed004, [| 3; 2 |], classes = 4) |> ignore)
    Assert.Equal("target", wrongCount.ParamName)
    let notWholeRows = Assert.ThrowsAny<ArgumentException>(fun () -> Functional.Softmax(seed001, classes = 2) |> ignore)
    Assert.Equal("input", notWholeRows.ParamName)
    let missing = Assert.Throws<ArgumentNullException>(fun () -> Functional.Softmax(Unchecked.defaultof<float32[]>, classes = 3) |> ignore)
    Assert.Equal("input", missing.ParamName)
    let missingTarget = Assert.Throws<ArgumentNullException>(fun () -> Functional.NllLoss(seed001, Unchecked.defaultof<int[]>, classes = 3) |> ignore)
    Assert.Equal("target", missingTarget.ParamName)
    let smoothing = Assert.ThrowsAny<ArgumentException>(fun () -> Functional.CrossEntropy(seed001, [| 2 |], classes = 3, labelSmoothing = 1.5) |> ignore)
    Assert.Equal("labelSmoothing", smoothing.ParamName)

[<Fact>]
let ``a padding-only batch: NaN by default, 0 with EmptyMean.Zero`` () =
    let padding = [| Functional.DefaultIgnoreIndex; Functional.DefaultIgnoreIndex; Functional.DefaultIgnoreIndex |]
    Assert.True(Single.IsNaN(Functional.CrossEntropy(seed004, padding, classes = 4)), "0/0, as PyTorch")
    Assert.Equal(0.0f, Functional.CrossEntropy(seed004, padding, classes = 4, emptyMean = EmptyMean.Zero))
    Assert.Equal(0.0f, Functional.NllLoss(seed004, padding, classes = 4, emptyMean = EmptyMean.Zero))
    let step = Functional.CrossEntropyWithGradient(seed004, padding, classes = 4, emptyMean = EmptyMean.Zero)
    Assert.Equal(0.0f, step.Loss)
    Assert.All(step.Gradient, fun g -> Assert.Equal(0.0f, g))
    // A summed running loss over batches, some of them padding only, stays finite.
    let running =
        [ labels004; padding; labels004 ]
        |> List.sumBy (fun labels -> float (Functional.CrossEntropy(seed004, labels, classes = 4, emptyMean = EmptyMean.Zero)))
    close 1e-6 (2.0 * float (Functional.CrossEntropy(seed004, labels004, classes = 4))) running
