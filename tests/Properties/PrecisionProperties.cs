using System.Linq;
using FsCheck.Xunit;

namespace Xent.Properties;

/// <summary>
/// The documented precision contract: "a float32 result is the float64 result rounded once", except for the fused
/// float path of index-target cross entropy, whose documented bound <see cref="FastPathBounds"/> states. So on float
/// inputs, every other float result must be bit-for-bit the double kernel's result on the same (widened) inputs,
/// rounded to float, and the fused path must stay within its bound.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class PrecisionProperties
{
    [Property]
    public void FloatResults_AreDoubleResultsRoundedOnce(Case c)
    {
        Problem clean = c.Problem.RoundedTo<float>();
        Problem pr = clean.PoisonIgnoredRows(c.PoisonValue);

        Same(Run<double>.Softmax(pr), Run<float>.Softmax(pr), "softmax");
        Same(Run<double>.LogSoftmax(pr), Run<float>.LogSoftmax(pr), "log_softmax");
        Same(Run<double>.LogSumExp(pr), Run<float>.LogSumExp(pr), "logsumexp");
        for (int p = 0; p < pr.Positions; p++)
        {
            double[] row = pr.Row(pr.Logits, p);
            Same(new[] { Run<double>.LogSumExp(row) }, new[] { Run<float>.LogSumExp(row) }, $"vector logsumexp of row {p}");
        }

        foreach (Reduction reduction in Run<double>.AllReductions)
        {
            if (FastPathBounds.Applies(pr))
            {
                Tolerance.AssertAllClose(
                    Problem.Round<float>(Run<double>.IndexCrossEntropy(pr, reduction)), Run<float>.IndexCrossEntropy(pr, reduction),
                    new Tol(2 * Tolerance.UnitRoundoff<float>(), 0), $"float index CE (fused path), {reduction}, vs double", FastPathBounds.Floors(pr, reduction));
            }
            else
            {
                Same(Run<double>.IndexCrossEntropy(pr, reduction), Run<float>.IndexCrossEntropy(pr, reduction), $"index CE, {reduction}");
            }

            Same(Run<double>.ProbabilityCrossEntropy(clean, reduction), Run<float>.ProbabilityCrossEntropy(clean, reduction), $"probability CE, {reduction}");
            Same(Run<double>.NllLoss(pr, pr.Logits, reduction), Run<float>.NllLoss(pr, pr.Logits, reduction), $"NLL, {reduction}");
        }
    }

    private static void Same(double[] doubleResult, double[] floatResult, string what) =>
        Tolerance.AssertAllClose(Problem.Round<float>(doubleResult), floatResult, Tol.Exact, $"float {what} vs double {what} rounded to float");
}
