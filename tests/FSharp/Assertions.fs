/// Comparisons at a stated tolerance, in the style the worked examples are quoted (four decimals).
module Xent.FSharp.Tests.Assertions

open Xunit

/// Half a unit in the fourth decimal: the precision of the worked examples.
let fourDecimals = 0.5e-4

let inline close tolerance (expected: float) actual =
    let value = float actual
    Assert.True(abs (value - expected) <= tolerance, sprintf "expected %.6f ± %g, got %.9f" expected tolerance value)

let inline allClose tolerance (expected: float seq) (actual: 'T seq) =
    let actual = Array.ofSeq actual
    let expected = Array.ofSeq expected
    Assert.Equal(expected.Length, actual.Length)
    Array.iter2 (close tolerance) expected actual

/// Bit-for-bit equality of two arrays (the array overloads delegate to the span overloads).
let identical (expected: 'T[]) (actual: 'T[]) = Assert.Equal<'T>(expected, actual)
