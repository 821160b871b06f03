#if LIBTORCH
using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Xent.Benchmarks;

/// <summary>libtorch through TorchSharp-cpu 0.107.0: F.cross_entropy forward, and forward + autograd backward.</summary>
public sealed class LibTorch : IDisposable
{
    private readonly Tensor _logits;
    private readonly Tensor _leaf;
    private readonly Tensor _targets;

    public LibTorch(float[] logits, int[] targets, int classes, int threads)
    {
        torch.set_num_threads(threads);
        long rows = targets.Length;
        _logits = torch.tensor(logits, new[] { rows, classes });
        _leaf = torch.tensor(logits, new[] { rows, classes }).requires_grad_(true);
        _targets = torch.tensor(Array.ConvertAll(targets, t => (long)t), new[] { rows });
    }

    /// <summary>Whether libtorch's native library loads here; the reason when it does not.</summary>
    public static string? Unavailable()
    {
        try
        {
            using Tensor probe = torch.ones(1);
            return probe.sum().item<float>() == 1f ? null : "libtorch answered 1 + 0 wrongly";
        }
        catch (Exception e) when (e is DllNotFoundException or NotSupportedException or TypeInitializationException or InvalidOperationException)
        {
            return e.GetBaseException().Message;
        }
    }

    public float Forward()
    {
        using var scope = torch.NewDisposeScope();
        return nn.functional.cross_entropy(_logits, _targets).item<float>();
    }

    public float ForwardBackward()
    {
        using var scope = torch.NewDisposeScope();
        Tensor loss = nn.functional.cross_entropy(_leaf, _targets);
        var gradients = torch.autograd.grad(new[] { loss }, new[] { _leaf });
        return loss.item<float>() + gradients[0][0, 0].item<float>() * 0f;
    }

    public void Dispose()
    {
        _logits.Dispose();
        _leaf.Dispose();
        _targets.Dispose();
    }
}
#endif
