using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Xunit;

namespace Xent.Conformance
{
    /// <summary>
    /// Seven wrong answers of the row engine, found on the AVX-512 fast paths (and one on every path), each pinned by a
    /// test named for the rule it checks. Expected values come from a float64 reference computed here (closed forms,
    /// log1p, compensated sums), never from the kernel; every bound is derived where it is used. The tests fail on the
    /// kernel as it is, by design, until the engine rewrite fixes it.
    /// </summary>
    public sealed class EngineRegressionTests
    {
        /// <summary>u = 2⁻⁵³, the unit roundoff of float64.</summary>
        private const double U64 = 1.1102230246251565e-16;

        /// <summary>u = 2⁻²⁴, the unit roundoff of float32.</summary>
        private const double U32 = 5.9604644775390625e-08;

        /// <summary>
        /// Relative tolerance "within a few double ulps": 16u, 8 to 16 ulps (an ulp is u to 2u relatively). Each
        /// double gradient reference here is within about 7u (exp within 2u per term, two additions, one division), and
        /// so is an accurate kernel, so 16u holds both with margin; the errors seen today are 1e-6 relative and more.
        /// </summary>
        private const double FewUlp = 16 * U64;

        /// <summary>
        /// Rule: label smoothing on the fused float path gives the float64 loss within the documented bound of that path
        /// (the Precision paragraph of <see cref="Functional"/>: u·(18 + Σ_c p[c]·|x[c] − m|) times the row's total
        /// coefficient, here 1), rounded once to float; for logits of any magnitude, as the remarks of
        /// <see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/> promise.
        /// </summary>
        [Theory]
        [InlineData(3e38f, -1e38f, 0.5)]               // x − m = −4e38 overflows float: +∞ instead of about 1e38
        [InlineData(19770.527f, 0.9085774f, 0.1523)]   // x − m rounded to float: one float ulp off the exact value
        public void SmoothedLoss_IsTheFloat64ValueWithinTheDocumentedBound_RoundedOnce_Float(float target, float other, double smoothing)
        {
            float[] x = [target, other];
            int[] y = [0];

            // Two classes, target 0, d = x₁ − x₀ (exact in double: two floats whose exponents differ by less than 29).
            // lse − x₀ = softplus(d), lse − x₁ = softplus(−d), and
            // ℓ = (1 − ε)·softplus(d) + (ε / 2)·(softplus(d) + softplus(−d)).
            double d = (double)other - target;
            double exact = (1 - smoothing) * Softplus(d) + smoothing / 2 * (Softplus(d) + Softplus(-d));
            // A handful of double roundings, each within u·|ℓ| (the two terms have the same sign): 8u·|ℓ| covers them.
            double referenceError = 8 * U64 * Math.Abs(exact);
            // The documented bound: Σ_c p[c]·|x[c] − m| = p₁·|d| with p₁ ≤ exp(d), which is 0 in double for both
            // rows (d = −4e38 and −19769.6), and the total coefficient (1 − ε) + (ε / C)·C is 1.
            double p1 = Math.Exp(d);
            double documented = U32 * (18 + p1 * Math.Abs(d));

            float[] perElement = new float[1];
            var options = new CrossEntropyOptions<float> { LabelSmoothing = smoothing };
            Functional.CrossEntropy(x, y, 2, options with { Reduction = Reduction.None }, losses: perElement);
            AssertRoundedOnceFrom(perElement[0], exact, documented + referenceError, "per element");
            // One row: the mean and the sum are that row's loss.
            AssertRoundedOnceFrom((float)Functional.CrossEntropy(x, y, 2, options with { Reduction = Reduction.Mean }).Loss, exact, documented + referenceError, "mean");
        }

        /// <summary>
        /// Rule: the double gradient of the large-vocabulary functions is softmax(z) − onehot(y) computed in double
        /// (∂L/∂xⱼ = s·(exp(zⱼ − m) / Σₖ exp(zₖ − m) − [j = y]), which needs no lse), so at logits of 1e30 it is
        /// [½, ½, −1], within a few double ulps.
        /// </summary>
        [Fact]
        public void CrossEntropyGradient_IsSoftmaxMinusOneHot_WithinAFewUlp_AtLogitsOf1e30_Double()
        {
            double[] x = [1e30, 1e30, 0.0];
            int[] y = [2];
            double[] gradient = new double[3];
            Functional.CrossEntropy(x, y, 3, gradient: gradient);
            // exp(0) = 1 twice and exp(−1e30) = 0: the softmax is [½, ½, 0] exactly; mean over one row, g = 1.
            AssertWithinRelative([0.5, 0.5, -1.0], gradient, FewUlp, "gradient");
        }

        /// <summary>
        /// Rule: the shard gradient is the whole row's gradient (the promise of
        /// <see cref="Functional.CrossEntropyShardGradient{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, ReadOnlySpan{CrossEntropyPartial}, Span{T}, int, int, int, CrossEntropyOptions{T}?, ReadOnlySpan{T})"/>):
        /// softmax − onehot computed in double from the merged (m, s), so [½, ½, −1] at logits of 1e30.
        /// </summary>
        [Fact]
        public void ShardGradient_IsSoftmaxMinusOneHot_WithinAFewUlp_AtLogitsOf1e30_Double()
        {
            double[] x = [1e30, 1e30, 0.0];
            int[] y = [2];
            // Two shards, classes [0, 1) and [1, 3), merged into one accumulator.
            var merged = new CrossEntropyPartial[1];
            var partial = new CrossEntropyPartial[1];
            Functional.CrossEntropyShard<double, int>(x.AsSpan(0, 1), y, partial, 3, 0, 1);
            Functional.MergeCrossEntropyPartials(partial, merged);
            Functional.CrossEntropyShard<double, int>(x.AsSpan(1, 2), y, partial, 3, 1, 2);
            Functional.MergeCrossEntropyPartials(partial, merged);
            CrossEntropySummary summary = Functional.CrossEntropyFromPartials<double, int>(merged, y, 3);
            Assert.Equal(1e30, summary.Loss); // lse − z₂ = 1e30 + log 2 − 0, which is 1e30 in double

            double[] gradient = new double[3];
            Functional.CrossEntropyShardGradient<double, int>(x.AsSpan(0, 1), y, merged, gradient.AsSpan(0, 1), 3, 0, 1);
            Functional.CrossEntropyShardGradient<double, int>(x.AsSpan(1, 2), y, merged, gradient.AsSpan(1, 2), 3, 1, 2);
            AssertWithinRelative([0.5, 0.5, -1.0], gradient, FewUlp, "shard gradient");
        }

        /// <summary>
        /// Rule: the double gradient is within a few ulps of softmax − onehot also where lse cannot be represented to
        /// better than its own ulp: at logits near 1e12, ulp(lse) = 1.2e-4, so exp(z − lse) may be off by up to half
        /// that relatively (2.3e-6 for these logits), while exp(z − m) / s is not.
        /// </summary>
        [Fact]
        public void CrossEntropyGradient_IsSoftmaxMinusOneHot_WithinAFewUlp_AtLogitsNear1e12_Double()
        {
            double[] x = [1e12, 1e12 + 0.5, 1e12 - 1.25];
            int[] y = [0];
            double[] gradient = new double[3];
            Functional.CrossEntropy(x, y, 3, gradient: gradient);

            // Reference: xⱼ − m is exact (Sterbenz; 0.5 and 1.25 are multiples of ulp(1e12) = 2⁻¹³), eⱼ = exp(xⱼ − m),
            // pⱼ = eⱼ / S, and the target's entry −(1 − p₀) = −(e₁ + e₂) / S without cancellation.
            double m = x[1];
            double e0 = Math.Exp(x[0] - m), e1 = Math.Exp(x[1] - m), e2 = Math.Exp(x[2] - m);
            double s = e0 + e1 + e2;
            AssertWithinRelative([-(e1 + e2) / s, e1 / s, e2 / s], gradient, FewUlp, "gradient");
        }

        /// <summary>
        /// Rule: a Half gradient of the large-vocabulary functions is the float64 gradient rounded once to Half (the
        /// Precision paragraph of <see cref="Functional"/>). Checked where it shows: an exact value just below a Half
        /// rounding midpoint, which a float64 error of 1e-12 (exp(z − lse) with lse rounded) pushes across it.
        /// </summary>
        [Fact]
        public void CrossEntropyGradient_IsTheFloat64GradientRoundedOnce_Half()
        {
            // Two equal logits a = 2¹⁵, target 0: p = [½, ½] exactly. The gradient is
            // g·((p − ε/2) − (1 − ε)·onehot) (C = 2, one row, no weights: the total coefficient is 1). With g = 4 and
            // ε = ½ − 2⁻¹² + 2⁻⁴⁵ (exact in double; the upstream gradient is a Half now, so ε places the value),
            // g·(½ − ε/2) = 1 + 2⁻¹¹ − 2⁻⁴⁴ = M − η, M = 1 + 2⁻¹¹ the midpoint between the Halves 1 and 1 + 2⁻¹⁰ and
            // η = 2⁻⁴⁴, and g·(½ − ε/2 − (1 − ε)) = −(M − η): every intermediate is exact in double, and the gradient is
            // exactly [−(M − η), M − η], which rounds to [−1, 1]. η is 100 times an accurate double computation's error
            // (a few u ≈ 5e-16) and far below the error of exp(z − lse): a + ln 2 rounds down in double by 1.6e-12, so
            // exp(a − lse) exceeds ½ by 8e-13, and g times that (3.2e-12) pushes M − η across the midpoint.
            double midpoint = 1 + Math.Pow(2, -11);
            double eta = Math.Pow(2, -44);
            double smoothing = 0.5 - Math.Pow(2, -12) + Math.Pow(2, -45);
            Half[] x = [(Half)32768f, (Half)32768f];
            int[] y = [0];
            Half[] gradient = new Half[2];
            Half[] gradOutput = [(Half)4f];
            Assert.Equal(midpoint - eta, 4 * (0.5 - smoothing / 2)); // the construction is exact in double
            Functional.CrossEntropy(x, y, 2, new CrossEntropyOptions<Half> { LabelSmoothing = smoothing }, gradient: gradient, gradOutput: gradOutput);

            double[] exact = [-(midpoint - eta), midpoint - eta];
            for (int j = 0; j < 2; j++)
            {
                AssertRoundedOnceFrom(gradient[j], exact[j], 8 * U64 * Math.Abs(exact[j]), $"gradient[{j}]");
            }
        }

        /// <summary>
        /// Rule: the soft-capped float gradient of the large-vocabulary functions is
        /// s·(1 − (zⱼ / cap)²)·(softmax(z)ⱼ − [j = y]) computed in double and rounded once to float.
        /// </summary>
        [Fact]
        public void CrossEntropyGradient_IsTheFloat64GradientRoundedOnce_SoftCappedFloat()
        {
            var options = new CrossEntropyOptions<float> { SoftCap = 1e38 };
            float[] x = [1e30f, 1e30f, 0f];
            int[] y = [2];
            float[] gradient = new float[3];
            Functional.CrossEntropy(x, y, 3, options, gradient: gradient);

            // z = cap·tanh(x / cap): z₀ = z₁ ≈ 1e30 and z₂ = 0, so the softmax is [½, ½, 0] exactly and the cap's
            // factors are 1 − (z / cap)² ≈ 1 − 1e-16 and 1.
            double cap = options.SoftCap;
            double z = cap * Math.Tanh(x[0] / cap);
            double factor = 1 - (z / cap) * (z / cap);
            double[] exact = [0.5 * factor, 0.5 * factor, -1.0];
            for (int j = 0; j < 3; j++)
            {
                AssertRoundedOnceFrom(gradient[j], exact[j], 8 * U64 * Math.Abs(exact[j]), $"gradient[{j}]");
            }
        }

        /// <summary>
        /// Rule: a double row's log-sum-exp from the large-vocabulary functions is within a few ulps of the exact
        /// value, however many classes the row has (131072 here, where a plain running sum drifts by C·u).
        /// </summary>
        [Fact]
        public void CrossEntropyLogSumExp_OfA131072ClassRow_IsWithinFourUlpOfTheExactValue_Double()
        {
            const int classes = 131072;
            // The target's logit 0 and every other −0.1: lse = log(1 + (C − 1)·e^−0.1), a closed form whose double
            // evaluation has four roundings (exp within 1 ulp, then ×, + and log): within 0.75 ulp of lse ≈ 11.68
            // (ulp 2⁻⁴⁹ = 16u, and an error of δ relative in the sum is δ absolute in its log).
            double[] x = new double[classes];
            Array.Fill(x, -0.1);
            x[0] = 0.0;
            double exact = Math.Log(1.0 + (classes - 1) * Math.Exp(-0.1));

            int[] y = [0];
            var logSumExp = new double[1];
            Functional.CrossEntropy(x, y, classes, logSumExp: logSumExp);
            // An accurate row pass (each exp within 1 ulp, a compensated or pairwise sum, within ~log₂C·u) lands within
            // about 1.5 ulp; with the reference's 0.75 ulp, 4 ulp is the bound.
            double ulp = Math.BitIncrement(exact) - exact;
            Assert.True(
                Math.Abs(logSumExp[0] - exact) <= 4 * ulp,
                $"lse {logSumExp[0]:R}, exact {exact:R}: {(logSumExp[0] - exact) / ulp:F0} ulp away (relative {(logSumExp[0] - exact) / exact:E2})");
        }

        public static TheoryData<int, int, bool> ManyRows => new()
        {
            { 100_000, 8, false },   // 8 classes, every row [20, 0, …, 0]
            { 100_000, 8, true },    // 8 classes, target logit in [12, 24], the others in [−2, 2], targets anywhere
            { 10_000, 1000, false }, // 1000 classes, every row [20, 0, …, 0]
        };

        /// <summary>
        /// Rule: the float mean and sum of the loss over many rows are within 2 float ulps of the exact value (the
        /// float64 value rounded once is within ½). Confident rows, whose losses are tiny, show a log taken of a sum
        /// rounded in float.
        /// </summary>
        [Theory]
        [MemberData(nameof(ManyRows))]
        public void FloatMeanAndSum_OfManyRows_AreWithinTwoUlpOfTheExactValue(int rows, int classes, bool mixed)
        {
            var random = new Random(rows + classes);
            float[] x = new float[rows * classes];
            int[] y = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                Span<float> row = x.AsSpan(r * classes, classes);
                y[r] = mixed ? random.Next(classes) : 0;
                for (int j = 0; j < classes; j++)
                {
                    row[j] = mixed ? (float)(random.NextDouble() * 4 - 2) : 0f;
                }

                row[y[r]] = mixed ? (float)(12 + random.NextDouble() * 12) : 20f;
            }

            // Reference: the target holds the row's strict maximum, so ℓ = lse − x_y = log1p(Σ_{j≠y} exp(xⱼ − x_y)),
            // each exp and the log1p within an ulp and the sum of at most 999 positive terms within 999u: each row
            // within ~1e-13 relatively, and the rows summed with compensation. Far below a float ulp (2⁻²³).
            CompensatedSum total = default;
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = x.AsSpan(r * classes, classes);
                double others = 0;
                for (int j = 0; j < classes; j++)
                {
                    if (j != y[r])
                    {
                        others += Math.Exp((double)row[j] - row[y[r]]);
                    }
                }

                total.Add(Log1P(others));
            }

            double exactSum = total.Value;
            double exactMean = exactSum / rows;
            float mean = (float)Functional.CrossEntropy(x, y, classes, new CrossEntropyOptions<float> { Reduction = Reduction.Mean }).Loss;
            float sum = (float)Functional.CrossEntropy(x, y, classes, new CrossEntropyOptions<float> { Reduction = Reduction.Sum }).Loss;
            double meanUlps = FloatUlpsAway(mean, exactMean);
            double sumUlps = FloatUlpsAway(sum, exactSum);
            Assert.True(
                Math.Abs(meanUlps) <= 2 && Math.Abs(sumUlps) <= 2,
                $"mean {mean:R}, exact {exactMean:R}: {meanUlps:F0} ulp away; sum {sum:R}, exact {exactSum:R}: {sumUlps:F0} ulp away (bound 2)");
        }

        /// <summary>
        /// Rule: <see cref="Functional.CrossEntropyShard{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, Span{CrossEntropyPartial}, int, int, int, CrossEntropyOptions{T}?)"/>
        /// is "computed in double" for every element type (its documentation), so a float shard's partial, the
        /// log-sum-exp state (m, s) first, is bit for bit the partial of the same shard widened to double.
        /// </summary>
        [Theory]
        [InlineData(0.0)]
        [InlineData(0.1)]
        public void FloatShardPartial_IsTheDoubleShardPartial_OfTheWidenedLogits(double smoothing)
        {
            const int rows = 4, classes = 2000, offset = 500, shardClasses = 1000;
            var random = new Random(9);
            float[] shard = Enumerable.Range(0, rows * shardClasses).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray();
            int[] y = [501, 1000, 1499, 3]; // three targets in the shard, one outside it
            var options = new CrossEntropyOptions<float> { LabelSmoothing = smoothing };
            var optionsD = new CrossEntropyOptions<double> { LabelSmoothing = smoothing };

            var fromFloat = new CrossEntropyPartial[rows];
            var fromDouble = new CrossEntropyPartial[rows];
            Functional.CrossEntropyShard<float, int>(shard, y, fromFloat, classes, offset, shardClasses, options);
            Functional.CrossEntropyShard<double, int>(Array.ConvertAll(shard, v => (double)v), y, fromDouble, classes, offset, shardClasses, optionsD);
            for (int n = 0; n < rows; n++)
            {
                CrossEntropyPartial f = fromFloat[n], d = fromDouble[n];
                AssertSameBits(d.LogSumExp.Max, f.LogSumExp.Max, $"row {n}: m");
                AssertSameBits(d.LogSumExp.Sum, f.LogSumExp.Sum, $"row {n}: s (relative difference {f.LogSumExp.Sum / d.LogSumExp.Sum - 1:E2})");
                AssertSameBits(d.MaxLogit, f.MaxLogit, $"row {n}: max logit");
                Assert.Equal(d.ArgMax, f.ArgMax);
                AssertSameBits(d.TargetLogit, f.TargetLogit, $"row {n}: target logit");
                AssertSameBits(d.LogitSum, f.LogitSum, $"row {n}: logit sum");
                Assert.Equal(d.Classes, f.Classes);
                Assert.Equal(d.Coverage, f.Coverage);
            }
        }

        /// <summary>
        /// Rule (remarks of <see cref="Functional.CrossEntropy{T, TLabel}(ReadOnlySpan{T}, ReadOnlySpan{TLabel}, int, CrossEntropyOptions{T}?, Span{T}, Span{T}, Span{T}, Span{int}, ReadOnlySpan{T}, int)"/>):
        /// a term whose coefficient is zero, here the target's own term (1 − ε)·w[y] at ε = 1, contributes exactly 0
        /// even where its log-probability is infinite, whatever the sign of w[y]; the other terms give what they give.
        /// </summary>
        [Fact]
        public void ZeroCoefficientTimesInfiniteLogProbability_ContributesZero_WithANegativeTargetWeight_Float() =>
            ZeroCoefficientWithNegativeTargetWeight<float>();

        /// <inheritdoc cref="ZeroCoefficientTimesInfiniteLogProbability_ContributesZero_WithANegativeTargetWeight_Float"/>
        [Fact]
        public void ZeroCoefficientTimesInfiniteLogProbability_ContributesZero_WithANegativeTargetWeight_Double() =>
            ZeroCoefficientWithNegativeTargetWeight<double>();

        private static void ZeroCoefficientWithNegativeTargetWeight<T>()
            where T : System.Numerics.IFloatingPointIeee754<T>
        {
            // x = [−∞, 0, 1], y = 0, w = [−1, 2, 3], ε = 1: ℓ = 0 + (1/3)·(w₀·(lse − x₀) + w₁·(lse − x₁) + w₂·(lse − x₂))
            // = (1/3)·(−1·(+∞) + finite) = −∞. The sum is −∞; the mean divides by Σ w[y] = −1: +∞.
            T[] x = [T.NegativeInfinity, T.Zero, T.One];
            T[] w = [-T.One, T.CreateTruncating(2), T.CreateTruncating(3)];
            int[] y = [0];
            T[] perElement = new T[1];
            var options = new CrossEntropyOptions<T> { Weight = w, LabelSmoothing = 1.0 };
            Functional.CrossEntropy(x, y, 3, options with { Reduction = Reduction.None }, losses: perElement);
            Assert.Equal(double.NegativeInfinity, double.CreateTruncating(perElement[0]));
            Assert.Equal(double.NegativeInfinity, double.CreateTruncating(T.CreateTruncating(Functional.CrossEntropy(x, y, 3, options with { Reduction = Reduction.Sum }).Loss)));
            Assert.Equal(double.PositiveInfinity, double.CreateTruncating(T.CreateTruncating(Functional.CrossEntropy(x, y, 3, options with { Reduction = Reduction.Mean }).Loss)));
        }

        /// <summary>
        /// Rule: the same call on the same data gives the same bits every time, and the in-place variant and the array
        /// overload give the out-of-place span call's bits (their documentation says bit for bit). Checked on double rows
        /// holding −∞, in a fresh process: the first calls must meet the runtime's precompiled (ReadyToRun) code, which
        /// a process that has already tiered it up never runs again.
        /// </summary>
        [Fact]
        public void RepeatedCalls_InPlaceAndArrayOverloads_GiveTheSameBits_DoubleRowsHoldingMinusInfinity()
        {
            string assembly = typeof(EngineRegressionTests).Assembly.Location;
            // Under the dotnet host, "dotnet exec" the assembly; as a test executable (xunit v3), start the executable.
            string host = DotnetHost();
            var start = new ProcessStartInfo(host)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (Path.GetFileNameWithoutExtension(host) == "dotnet" || host != Environment.ProcessPath)
            {
                start.ArgumentList.Add("exec");
                start.ArgumentList.Add(assembly);
            }

            // The child inherits this environment (DOTNET_EnableAVX2 included); the hook runs the probe before Main.
            start.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
            start.Environment[ReproducibilityProbe.Variable] = "1";
            using Process child = Process.Start(start)!;
            string output = child.StandardOutput.ReadToEnd();
            string error = child.StandardError.ReadToEnd();
            Assert.True(child.WaitForExit(TimeSpan.FromMinutes(2)), "the probe did not finish");
            Assert.True(output.Contains(ReproducibilityProbe.Finished, StringComparison.Ordinal), $"the probe did not run: {output} {error}");
            Assert.True(child.ExitCode == 0, output + error);
        }

        /// <summary>
        /// The dotnet host running this process, or this test executable itself when it is one (an apphost whose
        /// assembly sits beside it), or the dotnet on the path.
        /// </summary>
        private static string DotnetHost()
        {
            string? path = Environment.ProcessPath;
            if (path is null)
            {
                return "dotnet";
            }

            if (Path.GetFileNameWithoutExtension(path) == "dotnet")
            {
                return path;
            }

            string assembly = typeof(EngineRegressionTests).Assembly.Location;
            return Path.GetFileNameWithoutExtension(path) == Path.GetFileNameWithoutExtension(assembly)
                ? path
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        }

        /// <summary>
        /// Rule: a float gradient is scale·(p − y)·w computed in double and rounded once, so it is finite wherever the
        /// true value fits in float and NaN only from NaN input, and the (N, C) layout (the fused path) gives what the
        /// (N, C, d) layout gives for the same numbers.
        /// </summary>
        [Fact]
        public void PerElementGradient_IsTheFloat64GradientRoundedOnce_FiniteWhereItFits_AndLayoutsAgree_Float()
        {
            // One row [0, −4, −4, −200], target 0, w[0] = 10, gradOutput 3e38: scale·w = 3e39 overflows float, but
            // p₁ = p₂ ≈ 0.0177, 1 − p₀ ≈ 0.035 and p₃ ≈ e^−200, so every entry of 3e39·(p − y) fits (|g| ≤ 1.1e38).
            float[] row = [0f, -4f, -4f, -200f];
            float[] w = [10f, 1f, 1f, 1f];
            float gradOutput = 3e38f;
            const int classes = 4;

            var perPosition = new CrossEntropyOptions<float> { Reduction = Reduction.None, Weight = w };
            int[] y = [0];
            float[] loss = new float[1];
            float[] gradient = new float[classes];
            Functional.CrossEntropy(row, y, classes, perPosition, gradient, loss, gradOutput: new[] { gradOutput });

            // Reference: eⱼ = exp(xⱼ − 0), S = Σ e, gⱼ = scale·w₀·eⱼ / S for j ≠ 0 and g₀ = −scale·w₀·(e₁ + e₂ + e₃) / S
            // (1 − p₀ without cancellation); each within a few u, 8u·|g| covers them.
            double[] e = Array.ConvertAll(row, v => Math.Exp(v));
            double s = e.Sum();
            double scale = (double)gradOutput * w[0];
            double[] exact = [-scale * (e[1] + e[2] + e[3]) / s, scale * e[1] / s, scale * e[2] / s, scale * e[3] / s];
            for (int j = 0; j < classes; j++)
            {
                Assert.True(Math.Abs(exact[j]) < float.MaxValue, $"the reference's entry {j} fits in float");
                AssertRoundedOnceFrom(gradient[j], exact[j], 8 * U64 * Math.Abs(exact[j]), $"(N, C) gradient[{j}]");
            }

            // The same row twice along an inner dimension of 2: (1, C, 2), element (c, i) at c·2 + i.
            float[] interleaved = new float[classes * 2];
            for (int c = 0; c < classes; c++)
            {
                interleaved[2 * c] = interleaved[2 * c + 1] = row[c];
            }

            float[] loss2 = new float[2];
            float[] gradient2 = new float[classes * 2];
            int[] y2 = [0, 0];
            Functional.CrossEntropy(interleaved, y2, classes, perPosition, gradient2, loss2, gradOutput: new[] { gradOutput, gradOutput }, inner: 2);
            for (int c = 0; c < classes; c++)
            {
                // Up to the sign of zero (e₃·scale/S ≈ 4e-48 rounds to 0 in float).
                Assert.True(
                    gradient[c] == gradient2[2 * c] && gradient[c] == gradient2[2 * c + 1],
                    $"class {c}: (N, C) gives {gradient[c]:R}, (N, C, 2) gives {gradient2[2 * c]:R} and {gradient2[2 * c + 1]:R}");
            }
        }

        private static void AssertWithinRelative(double[] expected, double[] actual, double relative, string what)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.True(
                    Math.Abs(actual[j] - expected[j]) <= relative * Math.Abs(expected[j]),
                    $"{what}[{j}]: expected {expected[j]:R}, got {actual[j]:R} (relative error {(actual[j] - expected[j]) / expected[j]:E2}, bound {relative:E2})");
            }
        }

        /// <summary>
        /// <paramref name="actual"/> is a value within <paramref name="error"/> of <paramref name="exact"/> rounded once
        /// to float: rounding is monotonic, so it lies between the roundings of exact − error and exact + error. With
        /// an error far from a rounding midpoint, that is the correctly rounded float alone. NaN is never accepted.
        /// </summary>
        private static void AssertRoundedOnceFrom(float actual, double exact, double error, string what)
        {
            float low = (float)(exact - error);
            float high = (float)(exact + error);
            Assert.True(
                low <= actual && actual <= high,
                $"{what}: got {actual:R}; the exact value is {exact:R} (±{error:E2}), which rounds to {(float)exact:R} (allowed: {low:R} to {high:R})");
        }

        /// <inheritdoc cref="AssertRoundedOnceFrom(float, double, double, string)"/>
        private static void AssertRoundedOnceFrom(Half actual, double exact, double error, string what)
        {
            double low = (double)(Half)(exact - error);
            double high = (double)(Half)(exact + error);
            Assert.True(
                low <= (double)actual && (double)actual <= high,
                $"{what}: got {(double)actual:R}; the exact value is {exact:R} (±{error:E2}), which rounds to {(double)(Half)exact:R} (allowed: {low:R} to {high:R})");
        }

        /// <summary>(actual − exact) in units of the spacing of the floats at |exact|.</summary>
        private static double FloatUlpsAway(float actual, double exact)
        {
            float magnitude = (float)Math.Abs(exact);
            double ulp = (double)MathF.BitIncrement(magnitude) - magnitude;
            return (actual - exact) / ulp;
        }

        private static void AssertSameBits(double expected, double actual, string what) =>
            Assert.True(
                BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
                $"{what}: expected {expected:R}, got {actual:R}");

        /// <summary>log(1 + x) to within an ulp or two also for tiny x (Goldberg's correction of the rounded 1 + x).</summary>
        private static double Log1P(double x)
        {
            double u = 1.0 + x;
            return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
        }

        /// <summary>softplus(v) = log(1 + eᵛ) = max(v, 0) + log1p(e^−|v|), without overflow.</summary>
        private static double Softplus(double v) => Math.Max(v, 0.0) + Log1P(Math.Exp(-Math.Abs(v)));

        /// <summary>Neumaier's compensated sum, for the references.</summary>
        private struct CompensatedSum
        {
            private double _sum;
            private double _compensation;

            public readonly double Value => _sum + _compensation;

            public void Add(double x)
            {
                double t = _sum + x;
                _compensation += Math.Abs(_sum) >= Math.Abs(x) ? (_sum - t) + x : (x - t) + _sum;
                _sum = t;
            }
        }
    }

    /// <summary>
    /// What <see cref="EngineRegressionTests.RepeatedCalls_InPlaceAndArrayOverloads_GiveTheSameBits_DoubleRowsHoldingMinusInfinity"/>
    /// runs in a fresh process: double cross entropy with its gradient on rows holding −∞, called out of place over
    /// spans, in place and through the array overload, again and again for two seconds (tiered compilation promotes hot
    /// code after a 100 ms delay, so a count of calls alone may end before it does), each result compared bit for bit
    /// with the first call's.
    /// </summary>
    internal static class ReproducibilityProbe
    {
        public const string Variable = "XENT_REPRODUCIBILITY_PROBE";

        public const string Finished = "probe finished";

        /// <summary>Null when every call gave the first call's bits; otherwise where the first difference was seen.</summary>
        public static string? Run(TimeSpan budget)
        {
            const int rows = 4, classes = 40;
            var random = new Random(1);
            double[] x = new double[rows * classes];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = i % 3 == 0 ? double.NegativeInfinity : random.NextDouble() * 10 - 5;
            }

            int[] y = [1, 2, 4, 5]; // never a −∞ logit: every loss is finite
            double[] gradient = new double[x.Length];
            // In C# a call with arrays binds to the span overload (the array overloads have a lower priority, and a
            // method group converted to a delegate of array parameters picks the span overload too): the array overload
            // is reached through reflection, once, as a delegate of its own signature, as F# and other languages call it.
            var arrayOverload = typeof(Functional).GetMethods()
                .Single(m => m.Name == nameof(Functional.CrossEntropy) && m.GetParameters()[0].ParameterType.IsArray)
                .MakeGenericMethod(typeof(double), typeof(int))
                .CreateDelegate<Func<double[], int[], int, CrossEntropyOptions<double>?, double[]?, double[]?, double[]?, int[]?, double[]?, int, CrossEntropySummary>>();
            long[] first = Bits(Functional.CrossEntropy<double, int>(x, y, classes, gradient: gradient).Loss, gradient);
            double[] inPlace = new double[x.Length];
            double[] arrayGradient = new double[x.Length];
            var clock = Stopwatch.StartNew();
            for (int call = 1; clock.Elapsed < budget; call++)
            {
                long[] outOfPlace = Bits(Functional.CrossEntropy<double, int>(x, y, classes, gradient: gradient).Loss, gradient);
                if (!first.AsSpan().SequenceEqual(outOfPlace))
                {
                    return $"call {call} (out of place, spans) after {clock.ElapsedMilliseconds} ms: {Difference(first, outOfPlace)}";
                }

                x.CopyTo(inPlace);
                double loss = Functional.CrossEntropy<double, int>(inPlace, y, classes, gradient: inPlace).Loss;
                if (!first.AsSpan().SequenceEqual(Bits(loss, inPlace)))
                {
                    return $"call {call} (in place) after {clock.ElapsedMilliseconds} ms: {Difference(first, Bits(loss, inPlace))}";
                }

                Array.Fill(arrayGradient, double.NaN); // an entry the call did not write shows
                double arrayLoss = arrayOverload(x, y, classes, null, arrayGradient, null, null, null, null, 1).Loss;
                if (!first.AsSpan().SequenceEqual(Bits(arrayLoss, arrayGradient)))
                {
                    return $"call {call} (arrays) after {clock.ElapsedMilliseconds} ms: {Difference(first, Bits(arrayLoss, arrayGradient))}";
                }

                if (call % 20 == 0)
                {
                    Thread.Sleep(1); // lets the tiering's background thread in on a busy machine
                }
            }

            return null;
        }

        /// <summary>The loss's bits, then the gradient's.</summary>
        private static long[] Bits(double loss, double[] gradient) =>
            [BitConverter.DoubleToInt64Bits(loss), .. gradient.Select(BitConverter.DoubleToInt64Bits)];

        private static string Difference(long[] first, long[] now)
        {
            int i = Enumerable.Range(0, first.Length).First(k => first[k] != now[k]);
            return $"{(i == 0 ? "loss" : $"gradient[{i - 1}]")} was {BitConverter.Int64BitsToDouble(first[i]):R}, now {BitConverter.Int64BitsToDouble(now[i]):R}";
        }
    }
}

/// <summary>
/// The startup hook (<c>DOTNET_STARTUP_HOOKS</c>) through which the reproducibility test runs
/// <see cref="Xent.Conformance.ReproducibilityProbe"/> in a fresh process of this assembly. The runtime requires this
/// name in the global namespace. It does nothing unless the probe's variable is set, which only that test does.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(Xent.Conformance.ReproducibilityProbe.Variable) != "1")
        {
            return;
        }

        int code;
        try
        {
            string? difference = Xent.Conformance.ReproducibilityProbe.Run(TimeSpan.FromSeconds(2));
            Console.WriteLine(difference ?? "every call gave the first call's bits");
            code = difference is null ? 0 : 1;
        }
        catch (Exception e)
        {
            Console.WriteLine(e);
            code = 2;
        }

        Console.WriteLine(Xent.Conformance.ReproducibilityProbe.Finished);
        Console.Out.Flush();
        Environment.Exit(code);
    }
}
