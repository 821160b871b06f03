using Xunit;

namespace Xent.Properties;

/// <summary>The comparison helper itself: special values, scaling, floors, and that it can fail.</summary>
public class ToleranceFacts
{
    [Fact]
    public void NaN_IsCloseOnlyToNaN()
    {
        Assert.True(Tolerance.AreClose(double.NaN, double.NaN, Tol.Exact));
        Assert.False(Tolerance.AreClose(double.NaN, 1.0, new Tol(1.0, 1e300)));
        Assert.False(Tolerance.AreClose(0.0, double.NaN, new Tol(1.0, 1e300)));
        Assert.False(Tolerance.AreClose(double.NaN, double.PositiveInfinity, Tol.Double));
    }

    [Fact]
    public void Infinity_IsCloseOnlyToTheSameInfinity()
    {
        Assert.True(Tolerance.AreClose(double.PositiveInfinity, double.PositiveInfinity, Tol.Exact));
        Assert.True(Tolerance.AreClose(double.NegativeInfinity, double.NegativeInfinity, Tol.Exact));
        Assert.False(Tolerance.AreClose(double.PositiveInfinity, double.NegativeInfinity, new Tol(1.0, 1e300)));
        Assert.False(Tolerance.AreClose(double.PositiveInfinity, double.MaxValue, new Tol(1.0, 1e300)));
    }

    [Fact]
    public void Relative_IsScaledByTheLargerMagnitude_AndAbsoluteIsAFloor()
    {
        Assert.True(Tolerance.AreClose(1e30, 1e30 * (1 + 5e-13), Tol.Double));
        Assert.False(Tolerance.AreClose(1e30, 1e30 * (1 + 5e-12), Tol.Double));
        Assert.True(Tolerance.AreClose(0.0, 1e-16, Tol.Double));
        Assert.False(Tolerance.AreClose(0.0, 1e-14, Tol.Double));
        Assert.True(Tolerance.AreClose(0.0, 1e-14, Tol.Double.WithFloor(1e-13)));
        Assert.True(Tolerance.AreClose(-0.0, 0.0, Tol.Exact));
        Assert.False(Tolerance.AreClose(1.0, 1.0000001, Tol.Exact));
    }

    [Fact]
    public void Assertions_ThrowWithTheValues()
    {
        var e = Assert.Throws<PropertyFailedException>(() => Tolerance.AssertClose(1.0, 2.0, Tol.Double, "thing"));
        Assert.Contains("thing", e.Message, System.StringComparison.Ordinal);
        Assert.Throws<PropertyFailedException>(() => Tolerance.AssertAtLeast(1.0, 2.0, Tol.Double, "bound"));
        Assert.Throws<PropertyFailedException>(() => Tolerance.AssertAtMost(double.NaN, 2.0, Tol.Double, "bound"));
        Tolerance.AssertAtLeast(2.0 - 1e-13, 2.0, Tol.Double, "within tolerance below the bound");
        Assert.Throws<PropertyFailedException>(() => Tolerance.AssertAllClose(new[] { 1.0 }, new[] { 1.0, 2.0 }, Tol.Double, "length"));
    }
}
