/// The large-vocabulary API from F#: options as an immutable record, results as values, shards folded with a pure merge.
module Xent.FSharp.Tests.LargeVocabularyTests

open System
open Xent
open Xunit
open Xent.FSharp.Tests.Assertions

let classes = 7

/// Three rows of seven classes; the last row is padding.
let logits =
    [| 0.5; -1.0; 2.0; 0.1; 3.5; -2.2; 0.0
       1.0; 1.0; 1.0; 1.0; 1.0; 1.0; 1.0
       9.0; 9.0; 9.0; 9.0; 9.0; 9.0; 9.0 |]

let targets = [| 4; 2; -100 |]

/// The row loss straight from its definition: (1 − ε)(lse − z_y) + ε(lse − mean z) + λ·lse², z = cap·tanh(x/cap).
let reference (options: CrossEntropyOptions<float>) (row: float[]) (target: int) =
    let z = row |> Array.map (fun x -> if options.SoftCap = 0.0 then x else options.SoftCap * tanh (x / options.SoftCap))
    let lse = log (z |> Array.sumBy exp)
    let eps = options.LabelSmoothing
    (1.0 - eps) * (lse - z[target]) + eps * (lse - Array.average z) + options.ZLossScale * lse * lse

/// Columns [offset, offset + width) of every row: one shard of the logits.
let shardOf (offset, width) =
    Array.init (targets.Length * width) (fun i -> logits[(i / width) * classes + offset + i % width])

/// The partials of one shard, in a new array.
let partialsOf options (offset, width) =
    let partials = Array.zeroCreate<CrossEntropyPartial> targets.Length
    Functional.CrossEntropyShard(shardOf (offset, width), targets, partials, classes, offset, width, options)
    partials

/// A pure merge: a new array, neither argument changed.
let merge (left: CrossEntropyPartial[]) (right: CrossEntropyPartial[]) =
    let merged = Array.copy right
    Functional.MergeCrossEntropyPartials(left, merged)
    merged

[<Fact>]
let ``detailed results match the definition, row by row`` () =
    let options = CrossEntropyOptions(ZLossScale = 1e-3, SoftCap = 4.0, LabelSmoothing = 0.1)
    let losses = Array.zeroCreate<float> targets.Length
    let predicted = Array.zeroCreate<int> targets.Length
    let summary = Functional.CrossEntropy(logits, targets, classes, options, losses = losses, predicted = predicted)
    let expected = [ 0; 1 ] |> List.map (fun n -> reference options logits[n * classes .. n * classes + classes - 1] targets[n])
    allClose 1e-12 expected [ losses[0]; losses[1] ]
    close 1e-12 (List.average expected) summary.Loss
    // An ignored row is predicted −1.
    Assert.Equal(-1, predicted[2])
    // Row 0's largest logit is class 4, its target; row 1 is a seven-way tie, so torch.argmax's first index, 0.
    Assert.Equal(4, predicted[0])
    Assert.Equal(0, predicted[1])
    Assert.Equal(0.5, summary.Accuracy)
    Assert.Equal(2L, summary.Count)

[<Fact>]
let ``shards folded in any order give the whole row's loss and gradient`` () =
    let options = CrossEntropyOptions(ZLossScale = 1e-4, LabelSmoothing = 0.05)
    let wholeGradient = Array.zeroCreate<float> logits.Length
    let whole = Functional.CrossEntropy(logits, targets, classes, options, gradient = wholeGradient)
    let bounds = [ 0, 3; 3, 1; 4, 3 ]
    let partials = bounds |> List.rev |> List.map (partialsOf options) |> List.reduce merge
    let sharded = Functional.CrossEntropyFromPartials(partials, targets, classes, options)
    close 1e-14 whole.Loss sharded.Loss
    close 1e-14 whole.ZLoss sharded.ZLoss
    let gradient = Array.zeroCreate<float> logits.Length
    for (offset, width) in bounds do
        let g = Array.zeroCreate<float> (targets.Length * width)
        Functional.CrossEntropyShardGradient(shardOf (offset, width), targets, partials, g, classes, offset, width, options)
        g |> Array.iteri (fun i v -> gradient[(i / width) * classes + offset + i % width] <- v)
    allClose 1e-15 wholeGradient gradient

[<Fact>]
let ``a missing shard is an error, not a wrong loss`` () =
    let partials = partialsOf CrossEntropyOptions<float>.Default (0, 3)
    let error = Assert.Throws<ArgumentException>(fun () -> Functional.CrossEntropyFromPartials<float, int>(partials, targets, classes) |> ignore)
    Assert.Equal("partials", error.ParamName)
    Assert.Contains("covers 3 of the 7 classes", error.Message)

[<Fact>]
let ``an all-padding batch gives 0 under EmptyMean.Zero and NaN by default`` () =
    let padding = [| -100; -100; -100 |]
    Assert.True(Double.IsNaN (Functional.CrossEntropy(logits, padding, classes).Loss))
    let zero = Functional.CrossEntropy(logits, padding, classes, CrossEntropyOptions(EmptyMean = EmptyMean.Zero))
    Assert.Equal(0.0, zero.Loss)
    Assert.Equal(0.0, zero.Accuracy)

[<Fact>]
let ``a shard merged twice in place of a missing one of the same width is refused`` () =
    // Classes 0-2 twice and 3-5 never, plus class 6: the count comes out at 7, the coverage fingerprint does not.
    let first = partialsOf CrossEntropyOptions<float>.Default (0, 3)
    let last = partialsOf CrossEntropyOptions<float>.Default (6, 1)
    let partials = merge (merge first first) last
    Assert.Equal(classes, partials[0].Classes)
    let error = Assert.Throws<ArgumentException>(fun () -> Functional.CrossEntropyFromPartials<float, int>(partials, targets, classes) |> ignore)
    Assert.Contains("each once", error.Message)
