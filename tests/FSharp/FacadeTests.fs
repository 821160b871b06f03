/// The facade's loss records, built with named arguments and fed arrays with int shapes.
module Xent.FSharp.Tests.FacadeTests

open System
open Xent
open Xunit
open Xent.FSharp.Tests.Assertions

let seed001 = KernelTests.seed001
let seed004 = KernelTests.seed004

[<Fact>]
let ``cross entropy and NLL of the seed examples`` () =
    let loss = CrossEntropyLoss()
    close fourDecimals 0.5986 (loss.Forward(seed001, [| 1; 3 |], [| 2 |]).Value)
    close fourDecimals 0.5986 (loss.Forward(seed001, [| 3 |], [| 2 |]).Value)
    close fourDecimals 1.2914 (loss.Forward(seed004, [| 3; 4 |], KernelTests.labels004).Value)
    close fourDecimals 1.2914 (loss.Forward(seed004, [| 3; 4 |], KernelTests.oneHot004).Value)
    let logProbabilities = LogSoftmax(dim = 1).Forward(seed001, [| 1; 3 |]) |> Seq.toArray
    allClose fourDecimals [ -0.9029; -3.1005; -0.5986 ] logProbabilities
    close fourDecimals 0.5986 (NllLoss().Forward(logProbabilities, [| 1; 3 |], [| 2 |]).Value)
    allClose fourDecimals [ 0.4054; 0.0450; 0.5496 ] (Softmax(dim = -1).Forward(seed001, [| 1; 3 |]))

[<Fact>]
let ``option records constructed with named arguments`` () =
    let options = CrossEntropyLoss(reduction = Reduction.None, weight = [| 1.0; 2.0; 0.5; 1.0 |], ignoreIndex = 1, labelSmoothing = 0.1)
    Assert.Equal(Reduction.None, options.Reduction)
    Assert.Equal(0.1, options.LabelSmoothing)
    Assert.Equal(options, CrossEntropyLoss(labelSmoothing = 0.1, ignoreIndex = 1, weight = [ 1.0; 2.0; 0.5; 1.0 ], reduction = Reduction.None))
    Assert.NotEqual(options, CrossEntropyLoss(reduction = Reduction.None))
    let perRow = options.Forward(seed004, [| 3; 4 |], KernelTests.labels004).ToArray()
    Assert.Equal(3, perRow.Length)
    Assert.Equal(0.0f, perRow[2]) // the third target is 1 = ignoreIndex
    let kernelOptions = CrossEntropyOptions(Reduction = Reduction.None, Weight = ReadOnlyMemory [| 1.0f; 2.0f; 0.5f; 1.0f |], IgnoreIndex = 1L, LabelSmoothing = 0.1)
    let kernel = KernelTests.filled 3 (fun losses -> Functional.CrossEntropy(seed004, KernelTests.labels004, classes = 4, options = kernelOptions, losses = losses) |> ignore)
    identical kernel perRow
    Assert.Equal("CrossEntropyLoss(reduction: None, weight: [1, 2, 0.5, 1], ignoreIndex: 1, labelSmoothing: 0.1, emptyMean: NaN)", string options)
    // F# has no `with` on C# records: a changed copy is a new record, built from the options that stay.
    let summed = CrossEntropyLoss(reduction = Reduction.Sum, weight = options.Weight, ignoreIndex = options.IgnoreIndex, labelSmoothing = options.LabelSmoothing)
    close 1e-5 (perRow |> Array.sumBy float) (summed.Forward(seed004, [| 3; 4 |], KernelTests.labels004).Value)

[<Fact>]
let ``values and gradients come back as arrays`` () =
    let result = CrossEntropyLoss(labelSmoothing = 0.1).ForwardWithGradient(seed004, [| 3; 4 |], KernelTests.labels004)
    let gradient = Array.zeroCreate<float32> seed004.Length
    let kernel = Functional.CrossEntropy(seed004, KernelTests.labels004, classes = 4, options = CrossEntropyOptions(LabelSmoothing = 0.1), gradient = gradient)
    Assert.True(result.IsScalar)
    identical [| float32 kernel.Loss |] (result.ToArray())
    identical gradient (result.GradientToArray())
    let probabilityTargets = CrossEntropyLoss().ForwardWithGradient(seed004, [| 3; 4 |], KernelTests.oneHot004)
    let indexGradient = KernelTests.filled seed004.Length (fun g -> Functional.CrossEntropy(seed004, KernelTests.labels004, classes = 4, gradient = g) |> ignore)
    allClose 1e-6 (indexGradient |> Array.map float) (probabilityTargets.GradientToArray())
    let nll = NllLoss(reduction = Reduction.Sum).ForwardWithGradient(seed004, [| 3; 4 |], KernelTests.labels004)
    let sum = CrossEntropyOptions(Reduction = Reduction.Sum)
    identical (KernelTests.filled seed004.Length (fun g -> Functional.NllLoss(seed004, KernelTests.labels004, classes = 4, options = sum, gradient = g) |> ignore)) (nll.GradientToArray())
    // Forward computes no gradient; asking for one says so.
    let noGradient = CrossEntropyLoss().Forward(seed004, [| 3; 4 |], KernelTests.labels004)
    Assert.Throws<InvalidOperationException>(fun () -> noGradient.GradientToArray() |> ignore) |> ignore

[<Fact>]
let ``binary cross entropy and KL divergence through the facade`` () =
    let logits = [| 0.5f; -1.0f; 2.0f; 0.0f; 1.5f; -0.5f |]
    let targets = [| 1.0f; 0.0f; 1.0f; 0.5f; 0.0f; 1.0f |]
    let shape = [| 2; 3 |]
    let posWeight = [| 2.0; 1.0; 1.0 |]
    let bceWithLogits = BceWithLogitsLoss(posWeight = posWeight).ForwardWithGradient(logits, shape, targets)
    let gradient = Array.zeroCreate<float32> logits.Length
    let kernel = Functional.BinaryCrossEntropyWithLogits(logits, targets, posWeight = Array.map float32 posWeight, gradient = gradient)
    Assert.Equal(kernel, bceWithLogits.Value)
    identical gradient (bceWithLogits.GradientToArray())
    // By hand: ℓ = pw·t·softplus(−x) + (1 − t)·softplus(x), pw broadcast along the last dimension.
    let softplus (z: float) = max z 0.0 + log (1.0 + exp (-(abs z)))
    let byHand =
        Array.mapi2 (fun i (x: float32) (t: float32) -> posWeight[i % 3] * float t * softplus (-(float x)) + (1.0 - float t) * softplus (float x)) logits targets
    close 1e-6 (Array.average byHand) bceWithLogits.Value
    let perElement = BceWithLogitsLoss(reduction = Reduction.None, posWeight = posWeight).Forward(logits, shape, targets)
    allClose 1e-6 byHand (perElement.ToArray())
    let probabilities = logits |> Array.map (fun x -> 1.0f / (1.0f + exp -x))
    let bce = BceLoss(reduction = Reduction.Sum).Forward(probabilities, shape, targets).Value
    let bceByHand = Array.map2 (fun (x: float32) (t: float32) -> -(float t * log (float x) + (1.0 - float t) * log (1.0 - float x))) probabilities targets
    close 1e-5 (Array.sum bceByHand) bce
    // KL divergence per sample: rows of the target are distributions, the input holds log-probabilities.
    let p = [| 0.7f; 0.2f; 0.1f; 0.0f; 0.5f; 0.5f |]
    let logQ = KernelTests.filled logits.Length (fun lq -> Functional.LogSoftmax(logits, lq, classes = 3))
    let kl = KlDivLoss(reduction = Reduction.BatchMean).ForwardWithGradient(logQ, shape, p)
    let byRow =
        Array.zip p logQ
        |> Array.chunkBySize 3
        |> Array.map (Array.sumBy (fun (p, lq) -> if p = 0.0f then 0.0 else float p * (log (float p) - float lq)))
    close 1e-6 (Array.average byRow) kl.Value
    allClose 1e-7 (p |> Array.map (fun p -> -(float p) / 2.0)) (kl.GradientToArray())

[<Fact>]
let ``facade errors surface as ArgumentException`` () =
    let loss = CrossEntropyLoss()
    let wrongShape = Assert.ThrowsAny<ArgumentException>(fun () -> loss.Forward(seed004, [| 4; 4 |], KernelTests.labels004) |> ignore)
    Assert.Equal("input", wrongShape.ParamName)
    let wrongTargets = Assert.ThrowsAny<ArgumentException>(fun () -> loss.Forward(seed004, [| 3; 4 |], [| 3; 2 |]) |> ignore)
    Assert.Equal("target", wrongTargets.ParamName)
    Assert.ThrowsAny<ArgumentException>(fun () -> CrossEntropyLoss(labelSmoothing = -0.1) |> ignore) |> ignore
    Assert.ThrowsAny<ArgumentException>(fun () -> BceLoss().Forward([| 1.5f |], [| 1 |], [| 1.0f |]) |> ignore) |> ignore
    let missingShape = Assert.Throws<ArgumentNullException>(fun () -> loss.Forward(seed004, Unchecked.defaultof<int[]>, KernelTests.labels004) |> ignore)
    Assert.Equal("shape", missingShape.ParamName)
