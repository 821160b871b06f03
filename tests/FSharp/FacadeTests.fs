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
    let loss = CrossEntropyLoss<float32>()
    close fourDecimals 0.5986 (loss.Forward(seed001, [| 1; 3 |], [| 2 |]).Value)
    close fourDecimals 0.5986 (loss.Forward(seed001, [| 3 |], [| 2 |]).Value)
    close fourDecimals 1.2914 (loss.Forward(seed004, [| 3; 4 |], KernelTests.labels004).Value)
    close fourDecimals 1.2914 (loss.ForwardProbabilities(seed004, [| 3; 4 |], KernelTests.oneHot004).Value)
    let logProbabilities = LogSoftmax(dim = 1).Forward(seed001, [| 1; 3 |]) |> Seq.toArray
    allClose fourDecimals [ -0.9029; -3.1005; -0.5986 ] logProbabilities
    close fourDecimals 0.5986 (NllLoss<float32>().Forward(logProbabilities, [| 1; 3 |], [| 2 |]).Value)
    allClose fourDecimals [ 0.4054; 0.0450; 0.5496 ] (Softmax(dim = -1).Forward(seed001, [| 1; 3 |]))

[<Fact>]
let ``option records constructed with named arguments`` () =
    let options = CrossEntropyLoss<float32>(reduction = Reduction.None, weight = [| 1.0f; 2.0f; 0.5f; 1.0f |], ignoreIndex = 1L, labelSmoothing = 0.1)
    Assert.Equal(Reduction.None, options.Reduction)
    Assert.Equal(0.1, options.LabelSmoothing)
    // The weights are an array of the element type now (a list was accepted as an IReadOnlyList<double>).
    Assert.Equal(options, CrossEntropyLoss<float32>(labelSmoothing = 0.1, ignoreIndex = 1L, weight = Array.ofList [ 1.0f; 2.0f; 0.5f; 1.0f ], reduction = Reduction.None))
    Assert.NotEqual(options, CrossEntropyLoss<float32>(reduction = Reduction.None))
    let perRow = options.Forward(seed004, [| 3; 4 |], KernelTests.labels004).ToArray()
    Assert.Equal(3, perRow.Length)
    Assert.Equal(0.0f, perRow[2]) // the third target is 1 = ignoreIndex
    let kernelOptions = CrossEntropyOptions(Reduction = Reduction.None, Weight = ReadOnlyMemory [| 1.0f; 2.0f; 0.5f; 1.0f |], IgnoreIndex = 1L, LabelSmoothing = 0.1)
    let kernel = KernelTests.filled 3 (fun losses -> Functional.CrossEntropy(seed004, KernelTests.labels004, classes = 4, options = kernelOptions, losses = losses) |> ignore)
    identical kernel perRow
    Assert.Equal("CrossEntropyLoss(reduction: None, weight: [1, 2, 0.5, 1], ignoreIndex: 1, labelSmoothing: 0.1, emptyMean: NaN)", string options)
    // F# has no `with` on C# records: a changed copy is a new record, built from the options that stay, or (new) the
    // loss's WithOptions given its options changed by their With… methods.
    let summed = CrossEntropyLoss<float32>(reduction = Reduction.Sum, weight = options.Weight.ToArray(), ignoreIndex = options.IgnoreIndex, labelSmoothing = options.LabelSmoothing)
    close 1e-5 (perRow |> Array.sumBy float) (summed.Forward(seed004, [| 3; 4 |], KernelTests.labels004).Value)
    Assert.Equal(summed, options.WithOptions(options.Options.WithReduction(Reduction.Sum)))

[<Fact>]
let ``values and gradients come back as arrays`` () =
    let result = CrossEntropyLoss<float32>(labelSmoothing = 0.1).ForwardWithGradient(seed004, [| 3; 4 |], KernelTests.labels004)
    let gradient = Array.zeroCreate<float32> seed004.Length
    let kernel = Functional.CrossEntropy(seed004, KernelTests.labels004, classes = 4, options = CrossEntropyOptions(LabelSmoothing = 0.1), gradient = gradient)
    Assert.True(result.IsScalar)
    identical [| float32 kernel.Loss |] (result.ToArray())
    identical gradient (result.GradientToArray())
    let probabilityTargets = CrossEntropyLoss<float32>().ForwardProbabilitiesWithGradient(seed004, [| 3; 4 |], KernelTests.oneHot004)
    let indexGradient = KernelTests.filled seed004.Length (fun g -> Functional.CrossEntropy(seed004, KernelTests.labels004, classes = 4, gradient = g) |> ignore)
    allClose 1e-6 (indexGradient |> Array.map float) (probabilityTargets.GradientToArray())
    let nll = NllLoss<float32>(reduction = Reduction.Sum).ForwardWithGradient(seed004, [| 3; 4 |], KernelTests.labels004)
    let sum = CrossEntropyOptions(Reduction = Reduction.Sum)
    identical (KernelTests.filled seed004.Length (fun g -> Functional.NllLoss(seed004, KernelTests.labels004, classes = 4, options = sum, gradient = g) |> ignore)) (nll.GradientToArray())
    // Forward computes no gradient; asking for one says so.
    let noGradient = CrossEntropyLoss<float32>().Forward(seed004, [| 3; 4 |], KernelTests.labels004)
    Assert.Throws<InvalidOperationException>(fun () -> noGradient.GradientToArray() |> ignore) |> ignore

[<Fact>]
let ``binary cross entropy and KL divergence through the facade`` () =
    let logits = [| 0.5f; -1.0f; 2.0f; 0.0f; 1.5f; -0.5f |]
    let targets = [| 1.0f; 0.0f; 1.0f; 0.5f; 0.0f; 1.0f |]
    let shape = [| 2; 3 |]
    let posWeight = [| 2.0f; 1.0f; 1.0f |]
    let bceWithLogits = BceWithLogitsLoss<float32>(posWeight = posWeight).ForwardWithGradient(logits, shape, targets)
    let gradient = Array.zeroCreate<float32> logits.Length
    let kernel = Functional.BinaryCrossEntropyWithLogits(logits, targets, posWeight = posWeight, gradient = gradient)
    Assert.Equal(kernel, bceWithLogits.Value)
    identical gradient (bceWithLogits.GradientToArray())
    // By hand: ℓ = pw·t·softplus(−x) + (1 − t)·softplus(x), pw broadcast along the last dimension.
    let softplus (z: float) = max z 0.0 + log (1.0 + exp (-(abs z)))
    let byHand =
        Array.mapi2 (fun i (x: float32) (t: float32) -> float posWeight[i % 3] * float t * softplus (-(float x)) + (1.0 - float t) * softplus (float x)) logits targets
    close 1e-6 (Array.average byHand) bceWithLogits.Value
    let perElement = BceWithLogitsLoss<float32>(reduction = Reduction.None, posWeight = posWeight).Forward(logits, shape, targets)
    allClose 1e-6 byHand (perElement.ToArray())
    let probabilities = logits |> Array.map (fun x -> 1.0f / (1.0f + exp -x))
    let bce = BceLoss<float32>(reduction = Reduction.Sum).Forward(probabilities, shape, targets).Value
    let bceByHand = Array.map2 (fun (x: float32) (t: float32) -> -(float t * log (float x) + (1.0 - float t) * log (1.0 - float x))) probabilities targets
    close 1e-5 (Array.sum bceByHand) bce
    // KL divergence per sample: rows of the target are distributions, the input holds log-probabilities.
    let p = [| 0.7f; 0.2f; 0.1f; 0.0f; 0.5f; 0.5f |]
    let logQ = KernelTests.filled logits.Length (fun lq -> Functional.LogSoftmax(logits, lq, classes = 3))
    let kl = KlDivLoss<float32>(reduction = Reduction.BatchMean).ForwardWithGradient(logQ, shape, p)
    let byRow =
        Array.zip p logQ
        |> Array.chunkBySize 3
        |> Array.map (Array.sumBy (fun (p, lq) -> if p = 0.0f then 0.0 else float p * (log (float p) - float lq)))
    close 1e-6 (Array.average byRow) kl.Value
    allClose 1e-7 (p |> Array.map (fun p -> -(float p) / 2.0)) (kl.GradientToArray())

[<Fact>]
let ``facade errors surface as ArgumentException`` () =
    let loss = CrossEntropyLoss<float32>()
    let wrongShape = Assert.ThrowsAny<ArgumentException>(fun () -> loss.Forward(seed004, [| 4; 4 |], KernelTests.labels004) |> ignore)
    Assert.Equal("input", wrongShape.ParamName)
    let wrongTargets = Assert.ThrowsAny<ArgumentException>(fun () -> loss.Forward(seed004, [| 3; 4 |], [| 3; 2 |]) |> ignore)
    Assert.Equal("target", wrongTargets.ParamName)
    Assert.ThrowsAny<ArgumentException>(fun () -> CrossEntropyLoss<float32>(labelSmoothing = -0.1) |> ignore) |> ignore
    Assert.ThrowsAny<ArgumentException>(fun () -> BceLoss<float32>().Forward([| 1.5f |], [| 1 |], [| 1.0f |]) |> ignore) |> ignore
    let missingShape = Assert.Throws<ArgumentNullException>(fun () -> loss.Forward(seed004, Unchecked.defaultof<int[]>, KernelTests.labels004) |> ignore)
    Assert.Equal("shape", missingShape.ParamName)

[<Fact>]
let ``WithOptions and the With methods of the options`` () =
    let options =
        CrossEntropyOptions<float32>.Default
            .WithReduction(Reduction.Sum)
            .WithWeight([| 1.0f; 2.0f; 0.5f; 1.0f |])
            .WithIgnoreIndex(1L)
            .WithLabelSmoothing(0.1)
            .WithZLossScale(1e-3)
            .WithSoftCap(4.0)
            .WithEmptyMean(EmptyMean.Zero)
    // Each With… method returns a copy; the default options stay PyTorch's.
    Assert.Equal(Reduction.Mean, CrossEntropyOptions<float32>.Default.Reduction)
    Assert.True(CrossEntropyOptions<float32>.Default.Weight.IsEmpty)
    let loss = CrossEntropyLoss<float32>().WithOptions(options)
    Assert.Same(options, loss.Options)
    Assert.Equal(Reduction.Sum, loss.Reduction)
    identical [| 1.0f; 2.0f; 0.5f; 1.0f |] (loss.Weight.ToArray())
    Assert.Equal(1L, loss.IgnoreIndex)
    Assert.Equal(0.1, loss.LabelSmoothing)
    Assert.Equal(1e-3, loss.ZLossScale)
    Assert.Equal(4.0, loss.SoftCap)
    Assert.Equal(EmptyMean.Zero, loss.EmptyMean)
    Assert.Equal(CrossEntropyLoss<float32>(options), loss)
    Assert.Equal(
        "CrossEntropyLoss(reduction: Sum, weight: [1, 2, 0.5, 1], ignoreIndex: 1, labelSmoothing: 0.1, emptyMean: Zero, zLossScale: 0.001, softCap: 4)",
        string loss)
    // The loss gives the kernel's values, z-loss and soft cap included, and its summary.
    let kernelGradient = Array.zeroCreate<float32> seed004.Length
    let kernel = Functional.CrossEntropy(seed004, KernelTests.labels004, classes = 4, options = options, gradient = kernelGradient)
    let result = loss.ForwardWithGradient(seed004, [| 3; 4 |], KernelTests.labels004)
    Assert.Equal(kernel, result.Summary.Value)
    Assert.True(kernel.ZLoss > 0.0)
    identical [| float32 kernel.Loss |] (result.ToArray())
    identical kernelGradient (result.GradientToArray())
    // The gradient into the caller's array, with int and with int64 labels.
    let gradient = Array.zeroCreate<float32> seed004.Length
    Assert.Equal(kernel, loss.ForwardWithGradient(seed004, [| 3; 4 |], KernelTests.labels004, gradient))
    identical kernelGradient gradient
    let fromLongs = Array.zeroCreate<float32> seed004.Length
    Assert.Equal(kernel, loss.ForwardWithGradient(seed004, [| 3; 4 |], Array.map int64 KernelTests.labels004, fromLongs))
    identical kernelGradient fromLongs
    // An option out of range is refused by its With… method, naming the option.
    let refused = Assert.Throws<ArgumentOutOfRangeException>(fun () -> options.WithLabelSmoothing(1.5) |> ignore)
    Assert.Equal("LabelSmoothing", refused.ParamName)
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> options.WithZLossScale(-1.0) |> ignore) |> ignore
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> options.WithReduction(Reduction.BatchMean) |> ignore) |> ignore
    // NLL takes the options without smoothing, z-loss or soft cap, and refuses them otherwise.
    let nllOptions = CrossEntropyOptions<float32>.Default.WithReduction(Reduction.Sum).WithIgnoreIndex(1L)
    let nll = NllLoss<float32>().WithOptions(nllOptions)
    Assert.Equal(NllLoss<float32>(reduction = Reduction.Sum, ignoreIndex = 1L), nll)
    Assert.Equal(Functional.NllLoss(seed004, KernelTests.labels004, classes = 4, options = nllOptions), nll.Forward(seed004, [| 3; 4 |], KernelTests.labels004).Value)
    Assert.ThrowsAny<ArgumentException>(fun () -> NllLoss<float32>().WithOptions(nllOptions.WithLabelSmoothing(0.1)) |> ignore) |> ignore
    Assert.ThrowsAny<ArgumentException>(fun () -> NllLoss<float32>(options) |> ignore) |> ignore
