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
let reference (options: CrossEntropyOptions) (row: float[]) (target: int) =
    let z = row |> Array.map (fun x -> if options.SoftCap = 0.0 then x else options.SoftCap * tanh (x / options.SoftCap))
    let lse = log (z |> Array.sumBy exp)
    let eps = options.LabelSmoothing
    (1.0 - eps) * (lse - z[target]) + eps * (lse - Array.average z) + options.ZLossScale * lse * lse

[<Fact>]
let ``detailed results match the definition, row by row`` () =
    let options = CrossEntropyOptions(ZLossScale = 1e-3, SoftCap = 4.0, LabelSmoothing = 0.1)
    let details = Functional.CrossEntropyDetailed(logits, targets, classes, options)
    let expected = [ 0; 1 ] |> List.map (fun n -> reference options logits[n * classes .. n * classes + classes - 1] targets[n])
    allClose 1e-12 expected [ details.Rows[0].Loss; details.Rows[1].Loss ]
    close 1e-12 (List.average expected) details.Summary.Loss
    Assert.True(details.Rows[2].Ignored)
    // Row 0's largest logit is class 4, its target; row 1 is a seven-way tie, so torch.argmax's first index, 0.
    Assert.Equal(4, details.Rows[0].Predicted)
    Assert.Equal(0, details.Rows[1].Predicted)
    Assert.Equal(0.5, details.Summary.Accuracy)
    Assert.Equal(2L, details.Summary.Count)

[<Fact>]
let ``shards folded in any order give the whole row's loss and gradient`` () =
    let options = CrossEntropyOptions(ZLossScale = 1e-4, LabelSmoothing = 0.05)
    let whole = Functional.CrossEntropyDetailedWithGradient(logits, targets, classes, options)
    let bounds = [ 0, 3; 3, 1; 4, 3 ]
    let shardOf (offset, width) =
        Array.init (targets.Length * width) (fun i -> logits[(i / width) * classes + offset + i % width])
    let partials =
        bounds
        |> List.rev
        |> List.map (fun (offset, width) -> Functional.CrossEntropyShard(shardOf (offset, width), targets, classes, offset, width, options))
        |> List.reduce (fun a b -> Functional.MergeCrossEntropyPartials(a, b))
    let sharded = Functional.CrossEntropyFromPartials(partials, targets, classes, options)
    close 1e-14 whole.Summary.Loss sharded.Summary.Loss
    close 1e-14 whole.Summary.ZLoss sharded.Summary.ZLoss
    let gradient = Array.zeroCreate<float> logits.Length
    for (offset, width) in bounds do
        let g = Functional.CrossEntropyShardGradient(shardOf (offset, width), targets, partials, classes, offset, width, options)
        g |> Array.iteri (fun i v -> gradient[(i / width) * classes + offset + i % width] <- v)
    allClose 1e-15 whole.Gradient gradient

[<Fact>]
let ``a missing shard is an error, not a wrong loss`` () =
    let partials = Functional.CrossEntropyShard(logits[0 .. 3 * classes - 1] |> Array.chunkBySize classes |> Array.collect (fun r -> r[0..2]), targets, classes, 0, 3)
    let error = Assert.Throws<ArgumentException>(fun () -> Functional.CrossEntropyFromPartials(partials, targets, classes) |> ignore)
    Assert.Equal("partials", error.ParamName)
    Assert.Contains("covers 3 of the 7 classes", error.Message)

[<Fact>]
let ``an all-padding batch gives 0 under EmptyMean.Zero and NaN by default`` () =
    let padding = [| -100; -100; -100 |]
    Assert.True(Double.IsNaN (Functional.CrossEntropyDetailed(logits, padding, classes).Summary.Loss))
    let zero = Functional.CrossEntropyDetailed(logits, padding, classes, CrossEntropyOptions(EmptyMean = EmptyMean.Zero))
    Assert.Equal(0.0, zero.Summary.Loss)
    Assert.Equal(0.0, zero.Summary.Accuracy)

[<Fact>]
let ``a shard merged twice in place of a missing one of the same width is refused`` () =
    // Classes 0-2 twice and 3-5 never, plus class 6: the count comes out at 7, the coverage fingerprint does not.
    let shardOf offset width =
        Array.init (targets.Length * width) (fun i -> logits[(i / width) * classes + offset + i % width])
    let first = Functional.CrossEntropyShard(shardOf 0 3, targets, classes, 0, 3)
    let last = Functional.CrossEntropyShard(shardOf 6 1, targets, classes, 6, 1)
    let partials = Functional.MergeCrossEntropyPartials(Functional.MergeCrossEntropyPartials(first, first), last)
    Assert.Equal(classes, partials[0].Classes)
    let error = Assert.Throws<ArgumentException>(fun () -> Functional.CrossEntropyFromPartials(partials, targets, classes) |> ignore)
    Assert.Contains("each once", error.Message)
