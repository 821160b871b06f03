using System;
using System.Linq;
using FsCheck.Fluent;
using Xunit;

namespace Xent.Properties;

/// <summary>The gradient properties' own machinery: the central difference, the rescaling, the bitwise check, coverage.</summary>
public class GradientHelperFacts
{
    [Fact]
    public void CentralDifference_IsWithinItsTruncationAndRoundingBound()
    {
        // d/dx exp(x) = exp(x); the error bound used by the properties is h²/6·|f‴| + (a few u·|f|)/h.
        foreach (double x in new[] { -3.0, 0.0, 0.5, 7.25, 15.0 })
        {
            double fd = Gradients.CentralDifference(v => Math.Exp(v[0]), new[] { x }, 0, out double h);
            Assert.Equal(1e-5 * Math.Max(1.0, Math.Abs(x)), h, 12);
            double bound = (h * h / 6.0 * Math.Exp(x + h)) + (4.0 * Tolerance.UnitRoundoffDouble * Math.Exp(x + h) / h);
            Tolerance.AssertClose(Math.Exp(x), fd, new Tol(0.0, bound), $"central difference of exp at {x}");
        }

        // A wrong derivative is far outside that bound.
        double wrong = Gradients.CentralDifference(v => v[0] * v[0], new[] { 2.0 }, 0, out _);
        Assert.False(Tolerance.AreClose(4.0 * (1 + 1e-6), wrong, new Tol(0.0, 1e-8)));
    }

    [Fact]
    public void Moderate_ScalesByAPowerOfTwoIntoSixteen()
    {
        Case[] cases = Gen.Sample(Generators.CaseGen(large: true), 100, 100).ToArray();
        foreach (Case c in cases.Where(c => c.Problem.Logits.Length > 0))
        {
            Problem moderate = Gradients.Moderate(c.Problem);
            Assert.True(moderate.MaxAbsLogit() <= 16.0);
            double ratio = moderate.MaxAbsLogit() / c.Problem.MaxAbsLogit();
            Assert.Equal(Math.ScaleB(1.0, (int)Math.Round(Math.Log2(ratio))), ratio);
            Assert.True(moderate.MaxAbsLogit() > 8.0 || c.Problem.MaxAbsLogit() <= 16.0, "the scaling should be the largest that fits");
        }
    }

    [Fact]
    public void AssertBitwise_DistinguishesTheSignOfZero_AndAcceptsNaN()
    {
        Gradients.AssertBitwise(new[] { 0.0, double.NaN, 1.5 }, new[] { 0.0, -double.NaN, 1.5 }, "same");
        Assert.Throws<PropertyFailedException>(() => Gradients.AssertBitwise(new[] { 0.0 }, new[] { -0.0 }, "signed zero"));
        Assert.Throws<PropertyFailedException>(() => Gradients.AssertBitwise(new[] { 1.0 }, new[] { Math.BitIncrement(1.0) }, "one ulp"));
        Assert.Throws<PropertyFailedException>(() => Gradients.AssertBitwise(new[] { double.NaN }, new[] { 0.0 }, "NaN vs 0"));
    }

    [Fact]
    public void Coordinates_CoverSmallCasesFully_AndLargeCasesAtTargetsAndMaxima()
    {
        Case[] cases = Gen.Sample(Generators.CaseGen(large: false), 150, 150).ToArray();
        Assert.Contains(cases, c => c.Problem.Logits.Length > 192 && c.Problem.Positions > 0);
        foreach (Case c in cases)
        {
            Problem pr = c.Problem;
            var coordinates = Gradients.Coordinates(pr, c.Special);
            Assert.Equal(coordinates.Count, coordinates.Distinct().Count());
            if (pr.Logits.Length <= 192)
            {
                Assert.Equal(pr.Logits.Length, coordinates.Count);
                continue;
            }

            Assert.True(coordinates.Count >= 128);
            for (int p = 0; p < pr.Positions; p++)
            {
                double[] row = pr.Row(pr.Logits, p);
                Assert.Contains((p, Array.IndexOf(row, row.Max())), coordinates);
                if (pr.Targets[p] >= 0 && pr.Targets[p] < pr.Classes)
                {
                    Assert.Contains((p, pr.Targets[p]), coordinates);
                }
            }
        }
    }

    [Fact]
    public void Upstream_IsReproducible_ExactInFloat_AndVaried()
    {
        Case c = Gen.Sample(Generators.CaseGen(large: false), 10, 1).First();
        double[] g = Gradients.Upstream(c, 1, 2000);
        Assert.Equal(g, Gradients.Upstream(c, 1, 2000));
        Assert.NotEqual(g, Gradients.Upstream(c, 2, 2000));
        Assert.All(g, v => Assert.Equal(v, (double)(float)v));
        Assert.Contains(0.0, g);
        Assert.Contains(g, v => v < 0.0);
        Assert.Contains(g, v => v != Math.Round(v));
    }
}
