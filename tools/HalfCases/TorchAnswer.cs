using System;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Xent.HalfCases;

/// <summary>libtorch's value and input gradient for one case in one dtype.</summary>
/// <param name="Value">The op's result.</param>
/// <param name="GradInput">The gradient of sum(value · grad_output) (or of the scalar value) with respect to the input.</param>
internal sealed record TorchAnswer(Values Value, Values GradInput)
{
    /// <summary>
    /// Runs <paramref name="golden"/> through libtorch's own CPU functions with every floating-point tensor (input,
    /// probability target, weights, grad_output) in <paramref name="dtype"/>; index targets are int64.
    /// </summary>
    /// <exception cref="ExternalException">libtorch refuses the call (for instance an op without a kernel for the dtype).</exception>
    public static TorchAnswer Compute(HalfCase golden, ScalarType dtype)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor input = Floats(golden.Input, dtype).requires_grad_(true);
        Tensor? weight = golden.Weight is null ? null : Floats(WeightValues(golden, golden.Weight), dtype);
        Tensor value = golden.Op switch
        {
            "cross_entropy" => nn.functional.cross_entropy(
                input, Target(golden, dtype), weight, golden.IgnoreIndex ?? -100, Reduction(golden), golden.LabelSmoothing ?? 0.0),
            "nll_loss" => nn.functional.nll_loss(input, Target(golden, dtype), weight, Reduction(golden)),
            "log_softmax" => nn.functional.log_softmax(input, Dim(golden)),
            "softmax" => nn.functional.softmax(input, Dim(golden)),
            "logsumexp" => torch.logsumexp(input, Dim(golden)),
            "binary_cross_entropy_with_logits" => nn.functional.binary_cross_entropy_with_logits(
                input, Target(golden, dtype), weight, Reduction(golden),
                golden.PosWeight is null ? null : Floats(Values.Vector(golden.PosWeight), dtype)),
            "kl_div" => KlDiv(golden, input, Target(golden, dtype)),
            _ => throw new InvalidOperationException($"{golden.Id}: no libtorch call for op '{golden.Op}'."),
        };

        Tensor[]? upstream = golden.GradOutput is null ? null : [Floats(golden.GradOutput, dtype)];
        if (upstream is null && value.numel() != 1)
        {
            throw new InvalidOperationException($"{golden.Id}: a non-scalar result needs grad_output.");
        }

        Tensor gradient = torch.autograd.grad([value], [input], upstream)[0];
        return new TorchAnswer(Read(value), Read(gradient));
    }

    /// <summary>
    /// <c>torch.nn.functional.kl_div</c>. TorchSharp has no <c>batchmean</c>; PyTorch's Python function computes it as
    /// the <c>sum</c> reduction divided by <c>input.size(0)</c>, in the input's dtype, and so does this.
    /// </summary>
    private static Tensor KlDiv(HalfCase golden, Tensor input, Tensor target)
    {
        bool logTarget = golden.LogTarget ?? false;
        if (golden.Reduction == "batchmean")
        {
            return nn.functional.kl_div(input, target, logTarget, nn.Reduction.Sum) / input.shape[0];
        }

        return nn.functional.kl_div(input, target, logTarget, Reduction(golden));
    }

    /// <summary>Class weights as a vector; BCE's per-element weights (one per input element) in the input's shape.</summary>
    private static Values WeightValues(HalfCase golden, double[] weight) =>
        golden.Op == "binary_cross_entropy_with_logits" && weight.Length == golden.Input.Data.Length
            ? new Values(golden.Input.Shape, weight)
            : Values.Vector(weight);

    private static Tensor Target(HalfCase golden, ScalarType dtype)
    {
        Values target = golden.Target ?? throw new InvalidOperationException($"{golden.Id}: {golden.Op} needs a target.");
        return golden.TargetKind == "index"
            ? torch.tensor(Array.ConvertAll(target.Data, v => checked((long)v)), target.Shape)
            : Floats(target, dtype);
    }

    private static nn.Reduction Reduction(HalfCase golden) => golden.Reduction switch
    {
        null or "mean" => nn.Reduction.Mean,
        "sum" => nn.Reduction.Sum,
        "none" => nn.Reduction.None,
        _ => throw new InvalidOperationException($"{golden.Id}: reduction '{golden.Reduction}'."),
    };

    private static long Dim(HalfCase golden) =>
        golden.Dim ?? throw new InvalidOperationException($"{golden.Id}: {golden.Op} needs dim.");

    /// <summary>The values as a tensor of <paramref name="dtype"/>: made in float64 and converted (exact for float16 values).</summary>
    private static Tensor Floats(Values values, ScalarType dtype) =>
        torch.tensor(values.Data, values.Shape, ScalarType.Float64).to(dtype);

    private static Values Read(Tensor tensor)
    {
        using Tensor wide = tensor.detach().to(ScalarType.Float64).contiguous();
        return new Values(wide.shape, wide.data<double>().ToArray());
    }
}
