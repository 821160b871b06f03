using System;
using Xent.Internal;
using Xent.Internal.Vectors;
using Xunit;

namespace Xent.Properties;

/// <summary>
/// The element-wise losses' one formula each (<see cref="IPointwiseLoss"/>) gives the same bits, loss and derivative,
/// at every vector width the kernel has (all three run on any x64 or Arm64 machine), for ordinary values and for every
/// special value in every argument; so a call gives the same bits on every machine (NaN: the same kind of value).
/// </summary>
public class PointwiseWidthProperties
{
    private static readonly double[] Specials =
    [
        0.0, -0.0, 1.0, -1.0, 0.5, double.Epsilon, 1e-300, 1e-20, 1 - 1e-16, 30.0, -30.0, 800.0, -800.0, 1e300, -1e300,
        double.PositiveInfinity, double.NegativeInfinity, double.NaN,
    ];

    /// <summary>
    /// The same bits, except that any NaN is the same as any other: a NaN's sign and payload are not part of the
    /// contract (a width the machine does not accelerate runs in software, which may propagate another NaN operand).
    /// </summary>
    private static bool Same(double a, double b) =>
        BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b));

    /// <summary>Loss, derivative and target derivative (24 doubles) of one block at width <typeparamref name="TD"/>.</summary>
    private static unsafe void Evaluate<TLoss, TD>(double* x, double* t, double* w, double* pw, double* results)
        where TLoss : IPointwiseLoss
        where TD : unmanaged, IDoubleBlock<TD>
    {
        bool target = TLoss.HasTargetDerivative;
        (TD l, TD d, TD dt) = TLoss.Evaluate(TD.Load(x), TD.Load(t), TD.Load(w), TD.Load(pw), true, target);
        TD.Store(l, results);
        TD.Store(d, results + 8);
        TD.Store(dt, results + 16);
        (TD lossOnly, TD noDerivative, TD noTargetDerivative) = TLoss.Evaluate(TD.Load(x), TD.Load(t), TD.Load(w), TD.Load(pw), false, false);
        for (int k = 0; k < 8; k++)
        {
            double value = ((double*)&lossOnly)[k];
            Tolerance.Require(Same(value, results[k]), $"{typeof(TLoss).Name}: the loss without the derivatives differs in lane {k}");
            Tolerance.Require(
                ((double*)&noDerivative)[k] == 0.0 && ((double*)&noTargetDerivative)[k] == 0.0,
                $"{typeof(TLoss).Name}: a derivative not asked for is not 0 in lane {k}");
            Tolerance.Require(target || results[16 + k] == 0.0, $"{typeof(TLoss).Name}: a target derivative where the loss has none, lane {k}");
        }
    }

    private static unsafe void Check<TLoss>(Random random, int blocks)
        where TLoss : IPointwiseLoss
    {
        double* arguments = stackalloc double[32];
        double* results = stackalloc double[72];
        for (int b = 0; b < blocks; b++)
        {
            for (int k = 0; k < 32; k++)
            {
                arguments[k] = random.Next(4) == 0 ? Specials[random.Next(Specials.Length)]
                    : k < 8 ? (random.NextDouble() - 0.5) * Math.ScaleB(1.0, random.Next(-30, 12))
                    : random.NextDouble() * (random.Next(2) == 0 ? 1.0 : 4.0);
            }

            double* x = arguments, t = arguments + 8, w = arguments + 16, pw = arguments + 24;
            Evaluate<TLoss, Double512>(x, t, w, pw, results);
            Evaluate<TLoss, Double256>(x, t, w, pw, results + 24);
            Evaluate<TLoss, Double128>(x, t, w, pw, results + 48);
            for (int k = 0; k < 24; k++)
            {
                string output = k < 8 ? "loss" : k < 16 ? "derivative" : "target derivative";
                Tolerance.Require(
                    Same(results[k], results[24 + k]) && Same(results[k], results[48 + k]),
                    $"{typeof(TLoss).Name} {output} of x={Tolerance.R(x[k % 8])}, t={Tolerance.R(t[k % 8])}, w={Tolerance.R(w[k % 8])}, pw={Tolerance.R(pw[k % 8])} differs by width: {Tolerance.R(results[k])}, {Tolerance.R(results[24 + k])}, {Tolerance.R(results[48 + k])}");
            }
        }
    }

    [Fact]
    public void BceWithLogits_IsTheSameAtEveryWidth() => Check<BceWithLogitsLoss>(new Random(1), 20000);

    [Fact]
    public void Bce_IsTheSameAtEveryWidth() => Check<BceLoss>(new Random(2), 20000);

    [Fact]
    public void KlDiv_IsTheSameAtEveryWidth() => Check<KlDivLoss>(new Random(3), 20000);

    [Fact]
    public void KlDivLogTarget_IsTheSameAtEveryWidth() => Check<KlDivLogTargetLoss>(new Random(4), 20000);

    [Fact]
    public void InformationCrossEntropyTerm_IsTheSameAtEveryWidth() => Check<CrossEntropyTerm>(new Random(5), 20000);

    [Fact]
    public void InformationEntropyTerm_IsTheSameAtEveryWidth() => Check<EntropyTerm>(new Random(6), 20000);

    [Fact]
    public void InformationKlDivergenceTerm_IsTheSameAtEveryWidth() => Check<KlDivergenceTerm>(new Random(7), 20000);
}
