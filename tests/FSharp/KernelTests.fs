/// The kernel (Functional) called the way an F# developer writes: arrays in, outputs into arrays the caller owns,
/// options as an immutable record, results as values, pipelines.
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

/// A new array of n values, written by a kernel call given it as its output.
let filled n (write: 'T[] -> unit) =
    let output = Array.zeroCreate<'T> n
    write output
    output

/// The loss of a float32 call: the summary's double rounded once, the value PyTorch gives in float32.
let single (summary: CrossEntropySummary) = float32 summary.Loss

[<Fact>]
let ``the README example computes the seed 001 values`` () =
    allClose fourDecimals [ 0.4054; 0.0450; 0.5496 ] Example.probabilities
    close fourDecimals 0.5986 Example.loss
    allClose 1e-6 [ float (single (Functional.CrossEntropy(seed004[0..3], [| 3 |], classes = 4)))
                    float (single (Functional.CrossEntropy(seed004[4..7], [| 2 |], classes = 4))) ] Example.rowLosses
    Assert.Equal(Example.loss, single Example.step)
    // ∂loss/∂logits = softmax − onehot(2).
    allClose 1e-6 [ 0.4053925; 0.0450267; 0.5495808 - 1.0 ] Example.gradient
    Assert.True(Example.smoothed > Example.loss, "label smoothing raises the loss of a confident correct prediction")

[<Fact>]
let ``seed 001: softmax, log-softmax, NLL and cross entropy`` () =
    let logProbabilities = filled 3 (fun destination -> Functional.LogSoftmax(seed001, destination, classes = 3))
    allClose fourDecimals [ 0.4054; 0.0450; 0.5496 ] (filled 3 (fun destination -> Functional.Softmax(seed001, destination, classes = 3)))
    allClose fourDecimals [ -0.9029; -3.1005; -0.5986 ] logProbabilities
    close fourDecimals 0.5986 (Functional.NllLoss(logProbabilities, [| 2 |], classes = 3))
    close fourDecimals 0.5986 (single (Functional.CrossEntropy(seed001, [| 2 |], classes = 3)))
    close fourDecimals 0.5986 (single (Functional.CrossEntropyProbabilities(seed001, [| 0.0f; 0.0f; 1.0f |], classes = 3)))
    // log Σ exp is the logit minus its log-probability.
    close fourDecimals (float seed001[2] + 0.5986) (Functional.LogSumExp seed001)

[<Fact>]
let ``seed 004: one-hot and index targets give the same loss`` () =
    let fromOneHot = single (Functional.CrossEntropyProbabilities(seed004, oneHot004, classes = 4))
    let fromIndices = single (Functional.CrossEntropy(seed004, labels004, classes = 4))
    close fourDecimals 1.2914 fromOneHot
    close fourDecimals 1.2914 fromIndices
    close 1e-6 (float fromIndices) fromOneHot

[<Fact>]
let ``double precision is the same call`` () =
    let logits = seed001 |> Array.map float
    close 1e-4 0.5986 (Functional.CrossEntropy(logits, [| 2 |], classes = 3).Loss)
    close 1e-4 0.5986 (Functional.CrossEntropyProbabilities(logits, [| 0.0; 0.0; 1.0 |], classes = 3).Loss)

[<Fact>]
let ``a pipeline of per-batch losses`` () =
    let rows = seed004 |> Array.chunkBySize 4
    let batches = [ [ 0; 1 ]; [ 2 ]; [ 0; 1; 2 ] ]
    let batchLoss indices =
        let logits = indices |> List.map (fun i -> rows[i]) |> Array.concat
        let labels = indices |> List.map (fun i -> labels004[i]) |> Array.ofList
        single (Functional.CrossEntropy(logits, labels, classes = 4))
    let perRow = filled labels004.Length (fun losses -> Functional.CrossEntropy(seed004, labels004, classes = 4, losses = losses) |> ignore)
    let expected = batches |> List.map (fun indices -> indices |> List.averageBy (fun i -> float perRow[i]))
    allClose 1e-6 expected (batches |> List.map batchLoss)
    close fourDecimals 1.2914 (batchLoss [ 0; 1; 2 ])
    // The sum reduction is the mean times the batch size.
    close 2e-4 (3.0 * 1.2914) (single (Functional.CrossEntropy(seed004, labels004, classes = 4, options = CrossEntropyOptions(Reduction = Reduction.Sum))))

[<Fact>]
let ``arrays live in closures: a curried loss over rescaled logits`` () =
    // Arrays can be captured by closures (spans cannot): a curried loss for one label set.
    let lossOf (labels: int[]) (logits: float32[]) =
        filled labels.Length (fun losses -> Functional.CrossEntropy(logits, labels, classes = 4, losses = losses) |> ignore) |> Array.sum
    let scaled = [ 1.0f; 2.0f; 10.0f ] |> List.map (fun k -> seed004 |> Array.map ((*) k) |> lossOf labels004)
    close 2e-4 (3.0 * 1.2914) scaled[0]
    // Every row's largest logit is its label, so sharper logits only lower the loss.
    Assert.True(scaled |> List.pairwise |> List.forall (fun (before, after) -> after < before), sprintf "%A" scaled)

[<Fact>]
let ``the gradient from the array API equals the span API bit for bit`` () =
    let smoothing = CrossEntropyOptions(LabelSmoothing = 0.1)
    let viaArrays = Array.zeroCreate<float32> seed004.Length
    let summary = Functional.CrossEntropy(seed004, labels004, classes = 4, options = smoothing, gradient = viaArrays)
    // The span API, for reference: the caller owns the buffer either way.
    let buffer = Array.zeroCreate<float32> seed004.Length
    let viaSpans = Functional.CrossEntropy(ReadOnlySpan seed004, ReadOnlySpan labels004, 4, smoothing, gradient = Span buffer)
    Assert.Equal(viaSpans, summary)
    identical buffer viaArrays
    // And the loss-only call returns the same loss.
    Assert.Equal(Functional.CrossEntropy(seed004, labels004, classes = 4, options = smoothing), summary)
    // Each row's gradient sums to zero (softmax minus a distribution).
    viaArrays |> Array.chunkBySize 4 |> Array.iter (fun row -> close 1e-6 0.0 (Array.sum row))

[<Fact>]
let ``per-element losses with a vector-Jacobian product`` () =
    let ones = Array.create labels004.Length 1.0f
    let losses = Array.zeroCreate<float32> labels004.Length
    let gradient = Array.zeroCreate<float32> seed004.Length
    let none = CrossEntropyOptions(Reduction = Reduction.None)
    Functional.CrossEntropy(seed004, labels004, classes = 4, options = none, gradient = gradient, losses = losses, gradOutput = ones) |> ignore
    identical (filled labels004.Length (fun perRow -> Functional.CrossEntropy(seed004, labels004, classes = 4, options = none, losses = perRow) |> ignore)) losses
    // With an upstream gradient of ones this is the gradient of the sum.
    let sum = CrossEntropyOptions(Reduction = Reduction.Sum)
    identical (filled seed004.Length (fun g -> Functional.CrossEntropy(seed004, labels004, classes = 4, options = sum, gradient = g) |> ignore)) gradient

[<Fact>]
let ``ignored targets and class weights by name`` () =
    let weighted = CrossEntropyOptions(Weight = ReadOnlyMemory [| 1.0f; 2.0f; 0.5f; 1.0f |], IgnoreIndex = 1L)
    let lossesWith options = filled labels004.Length (fun losses -> Functional.CrossEntropy(seed004, labels004, classes = 4, options = options, losses = losses) |> ignore)
    let losses = lossesWith weighted
    Assert.Equal(0.0f, losses[2])
    let unweighted = lossesWith CrossEntropyOptions<float32>.Default
    close 1e-6 (float unweighted[0] * 1.0) losses[0]
    close 1e-6 (float unweighted[1] * 0.5) losses[1]
    // The mean divides by the weights of the targets that count: w[3] + w[2].
    close 1e-6 (float (losses[0] + losses[1]) / 1.5) (single (Functional.CrossEntropy(seed004, labels004, classes = 4, options = weighted)))

[<Fact>]
let ``normalizers and their backward passes`` () =
    let probabilities = filled seed004.Length (fun p -> Functional.Softmax(seed004, p, classes = 4))
    probabilities |> Array.chunkBySize 4 |> Array.iter (fun row -> close 1e-6 1.0 (Array.sum row))
    let logSumExp = filled 3 (fun lse -> Functional.LogSumExp(seed004, lse, classes = 4))
    allClose 1e-6 (seed004 |> Array.chunkBySize 4 |> Array.map (Functional.LogSumExp >> float)) logSumExp
    // d(log Σ exp)/dx is the softmax; through log-softmax with g = onehot it is onehot − softmax·Σg.
    let ones = Array.create 3 1.0f
    allClose 1e-6 (Array.map float probabilities) (filled seed004.Length (fun g -> Functional.LogSumExpBackward(seed004, logSumExp, ones, g, classes = 4)))
    let upstream = oneHot004
    let logProbabilities = filled seed004.Length (fun lp -> Functional.LogSoftmax(seed004, lp, classes = 4))
    let viaLogSoftmax = filled seed004.Length (fun g -> Functional.LogSoftmaxBackward(logProbabilities, upstream, g, classes = 4))
    allClose 1e-6 (Array.map2 (fun t p -> float (t - p)) upstream probabilities) viaLogSoftmax
    let viaSoftmax = filled seed004.Length (fun g -> Functional.SoftmaxBackward(probabilities, upstream, g, classes = 4))
    viaSoftmax |> Array.chunkBySize 4 |> Array.iter (fun row -> close 1e-6 0.0 (Array.sum row))

[<Fact>]
let ``binary cross entropy and KL divergence from arrays`` () =
    let logits = [| 0.5f; -1.0f; 2.0f; 0.0f |]
    let targets = [| 1.0f; 0.0f; 1.0f; 0.5f |]
    let softplus (z: float) = max z 0.0 + log (1.0 + exp (-(abs z)))
    let reference = Array.map2 (fun (x: float32) (t: float32) -> float t * softplus (-(float x)) + (1.0 - float t) * softplus (float x)) logits targets
    allClose 1e-6 reference (filled 4 (fun losses -> Functional.BinaryCrossEntropyWithLogits(logits, targets, Reduction.None, losses = losses) |> ignore))
    close 1e-6 (Array.average reference) (Functional.BinaryCrossEntropyWithLogits(logits, targets))
    // The array after the reduction is the weight (never a destination: outputs are named): every loss doubles.
    let weighted = filled 4 (fun losses -> Functional.BinaryCrossEntropyWithLogits(logits, targets, Reduction.None, Array.create 4 2.0f, losses = losses) |> ignore)
    allClose 1e-6 (reference |> Array.map ((*) 2.0)) weighted
    let probabilities = logits |> Array.map (fun x -> 1.0f / (1.0f + exp -x))
    let bceGradient = Array.zeroCreate<float32> probabilities.Length
    let bce = Functional.BinaryCrossEntropy(probabilities, targets, gradient = bceGradient)
    close 1e-5 (Array.average reference) bce
    // KL(p ‖ q) with q = softmax(x): Σ p·(log p − log q), 0·log 0 = 0.
    let p = [| 0.7f; 0.2f; 0.1f; 0.0f |]
    let logQ = filled 4 (fun lq -> Functional.LogSoftmax(logits, lq, classes = 4))
    let kl = Array.map2 (fun (p: float32) (lq: float32) -> if p = 0.0f then 0.0 else float p * (log (float p) - float lq)) p logQ |> Array.sum
    close 1e-6 kl (Functional.KlDiv(logQ, p, reduction = Reduction.Sum))
    let gradient = Array.zeroCreate<float32> logQ.Length
    let withGradient = Functional.KlDiv(logQ, p, reduction = Reduction.BatchMean, batchSize = 1, gradient = gradient)
    close 1e-6 kl withGradient
    allClose 0.0 (p |> Array.map (fun p -> -(float p))) gradient

[<Fact>]
let ``errors surface as ArgumentException naming the parameter`` () =
    let outOfRange = Assert.ThrowsAny<ArgumentException>(fun () -> Functional.CrossEntropy(seed001, [| 3 |], classes = 3) |> ignore)
    Assert.Equal("target", outOfRange.ParamName)
    let wrongCount = Assert.ThrowsAny<ArgumentException>(fun () -> Functional.CrossEntropy(seed004, [| 3; 2 |], classes = 4) |> ignore)
    Assert.Equal("target", wrongCount.ParamName)
    let notWholeRows = Assert.ThrowsAny<ArgumentException>(fun () -> Functional.Softmax(seed001, Array.zeroCreate 3, classes = 2))
    Assert.Equal("input", notWholeRows.ParamName)
    let missing = Assert.Throws<ArgumentNullException>(fun () -> Functional.Softmax(Unchecked.defaultof<float32[]>, Array.zeroCreate 3, classes = 3))
    Assert.Equal("input", missing.ParamName)
    let missingTarget = Assert.Throws<ArgumentNullException>(fun () -> Functional.NllLoss(seed001, Unchecked.defaultof<int[]>, classes = 3) |> ignore)
    Assert.Equal("target", missingTarget.ParamName)
    // Options are checked when they are built, and the error names the option.
    let smoothing = Assert.ThrowsAny<ArgumentException>(fun () -> Functional.CrossEntropy(seed001, [| 2 |], classes = 3, options = CrossEntropyOptions(LabelSmoothing = 1.5)) |> ignore)
    Assert.Equal("LabelSmoothing", smoothing.ParamName)

[<Fact>]
let ``a padding-only batch: NaN by default, 0 with EmptyMean.Zero`` () =
    let padding = [| Functional.DefaultIgnoreIndex; Functional.DefaultIgnoreIndex; Functional.DefaultIgnoreIndex |]
    let zero = CrossEntropyOptions(EmptyMean = EmptyMean.Zero)
    Assert.True(Single.IsNaN(single (Functional.CrossEntropy(seed004, padding, classes = 4))), "0/0, as PyTorch")
    Assert.Equal(0.0f, single (Functional.CrossEntropy(seed004, padding, classes = 4, options = zero)))
    Assert.Equal(0.0f, Functional.NllLoss(seed004, padding, classes = 4, options = zero))
    let gradient = Array.create seed004.Length nanf
    let step = Functional.CrossEntropy(seed004, padding, classes = 4, options = zero, gradient = gradient)
    Assert.Equal(0.0f, single step)
    Assert.All(gradient, fun g -> Assert.Equal(0.0f, g))
    // A summed running loss over batches, some of them padding only, stays finite.
    let running =
        [ labels004; padding; labels004 ]
        |> List.sumBy (fun labels -> float (single (Functional.CrossEntropy(seed004, labels, classes = 4, options = zero))))
    close 1e-6 (2.0 * float (single (Functional.CrossEntropy(seed004, labels004, classes = 4)))) running
