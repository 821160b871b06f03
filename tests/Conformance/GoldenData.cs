using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xent.Parity;
using Xunit;

namespace Xent.Conformance;

/// <summary>The golden cases (Data/torch-cases.jsonl, copied to the output directory), read once through the parity tool's reader.</summary>
public static class GoldenData
{
    /// <summary>Every case in the file.</summary>
    public const int TotalCases = 190;

    /// <summary>
    /// Cases of the ops the library covers: all of them. cross_entropy 120 (seed 3, ce_* 72, edge_* 39, error_* 6),
    /// nll_loss 22 (nll_* 21, error_nll_* 1), log_softmax 5, softmax 5, logsumexp 5,
    /// binary_cross_entropy_with_logits 13 (bce_logits_* 9, edge_* 3, error_* 1), binary_cross_entropy 12 (bce_* 9,
    /// edge_* 3), kl_div 8.
    /// </summary>
    public const int CoveredCases = 190;

    private static readonly Lazy<IReadOnlyList<GoldenCase>> All = new(() => GoldenFile.Read(FilePath));

    private static readonly Lazy<FrozenDictionary<string, GoldenCase>> ById =
        new(() => All.Value.ToFrozenDictionary(c => c.Id, StringComparer.Ordinal));

    /// <summary>The ops whose golden cases the library must pass.</summary>
    public static FrozenSet<string> CoveredOps { get; } =
        new[]
        {
            "cross_entropy", "nll_loss", "log_softmax", "softmax", "logsumexp",
            "binary_cross_entropy_with_logits", "binary_cross_entropy", "kl_div",
        }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The id prefixes of the covered families.</summary>
    public static IReadOnlyList<string> CoveredPrefixes { get; } =
        ["ce_", "nll", "log_softmax", "softmax", "logsumexp", "bce_", "kl_div", "seed", "edge_", "error_"];

    /// <summary>Where the copied data file is.</summary>
    public static string FilePath => Path.Combine(AppContext.BaseDirectory, "Data", "torch-cases.jsonl");

    /// <summary>Every case, in file order.</summary>
    public static IReadOnlyList<GoldenCase> Cases => All.Value;

    /// <summary>The case named <paramref name="id"/>.</summary>
    public static GoldenCase Get(string id) => ById.Value[id];

    /// <summary>The covered cases, in file order.</summary>
    public static IEnumerable<GoldenCase> Covered => Cases.Where(c => CoveredOps.Contains(c.Op));

    /// <summary>Theory rows: every covered case × both dtypes, each row named by id and dtype.</summary>
    public static TheoryData<string, Dtype> CoveredRows()
    {
        var rows = new TheoryData<string, Dtype>();
        foreach (GoldenCase golden in Covered)
        {
            rows.Add(golden.Id, Dtype.Float32);
            rows.Add(golden.Id, Dtype.Float64);
        }

        return rows;
    }

    /// <summary>Theory rows: the covered cases that hold <c>error</c> × both dtypes.</summary>
    public static TheoryData<string, Dtype> CoveredErrorRows()
    {
        var rows = new TheoryData<string, Dtype>();
        foreach (GoldenCase golden in Covered.Where(c => c.Error is not null))
        {
            rows.Add(golden.Id, Dtype.Float32);
            rows.Add(golden.Id, Dtype.Float64);
        }

        return rows;
    }
}
