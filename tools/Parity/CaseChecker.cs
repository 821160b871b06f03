using System;
using System.Collections.Generic;
using System.IO;

namespace Xent.Parity;

/// <summary>The verdict on one case.</summary>
public enum CheckStatus
{
    /// <summary>The answer matches: values within tolerance, or a refusal where libtorch refuses too.</summary>
    Passed,

    /// <summary>The answer differs (or the run crashed); <see cref="CheckOutcome.Message"/> says how.</summary>
    Failed,

    /// <summary>The library does not support the op yet: counted, not a failure.</summary>
    Unsupported,
}

/// <summary>The verdict on one case, with the first difference when it failed.</summary>
/// <param name="Id">The case's id.</param>
/// <param name="Status">The verdict.</param>
/// <param name="Message">Why it failed; null otherwise.</param>
/// <param name="Answer">The library's answer; null when computing it crashed.</param>
public sealed record CheckOutcome(string Id, CheckStatus Status, string? Message, Answer? Answer)
{
    /// <inheritdoc/>
    public override string ToString() => Message is null ? $"{Id}: {Status}" : $"{Id}: {Status}: {Message}";
}

/// <summary>Judges answers against golden cases.</summary>
public static class CaseChecker
{
    /// <summary>
    /// Judges <paramref name="answer"/> against <paramref name="golden"/> with the tolerance of <paramref name="dtype"/>:
    /// an unsupported answer is <see cref="CheckStatus.Unsupported"/>; a case with <c>error</c> passes when the
    /// library refused the call too (the messages may differ); a case with <c>expected</c> passes when the value has
    /// its shape and every element is within tolerance, and, where the case has <c>expected_grad_input</c>, when the
    /// answer's <c>grad_input</c> is present and matches it as well.
    /// </summary>
    public static CheckOutcome Check(GoldenCase golden, Answer answer, Dtype dtype)
    {
        ArgumentNullException.ThrowIfNull(golden);
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Id != golden.Id)
        {
            return Fail($"answer is for '{answer.Id}'");
        }

        if (answer.IsUnsupported)
        {
            return new CheckOutcome(golden.Id, CheckStatus.Unsupported, null, answer);
        }

        if (golden.Error is not null)
        {
            return answer.IsRefused
                ? Pass()
                : Fail($"libtorch refuses this call (\"{golden.Error}\") but the library returned a value of shape {TensorData.FormatShape(answer.Value!.Shape)}");
        }

        if (answer.Value is null)
        {
            return Fail($"the library refused the call: {answer.Error}");
        }

        Tolerance tolerance = Tolerance.For(dtype);
        Mismatch? mismatch = Comparison.FirstMismatch(golden.Expected!, answer.Value, tolerance, "value");
        if (mismatch is null && golden.ExpectedGradInput is not null)
        {
            if (answer.GradInput is null)
            {
                return Fail("expected_grad_input is given but the answer has no grad_input.");
            }

            mismatch = Comparison.FirstMismatch(golden.ExpectedGradInput, answer.GradInput, tolerance, "grad_input");
        }

        return mismatch is null ? Pass() : Fail(mismatch.Message);

        CheckOutcome Pass() => new(golden.Id, CheckStatus.Passed, null, answer);
        CheckOutcome Fail(string message) => new(golden.Id, CheckStatus.Failed, message, answer);
    }

    /// <summary>
    /// Answers <paramref name="golden"/> with <see cref="ParityRunner.Answer"/> and judges the answer. An exception
    /// other than the library's refusal (a crash, or a case the runner cannot map) is a failure, not an abort.
    /// </summary>
    public static CheckOutcome Run(GoldenCase golden, Dtype dtype)
    {
        ArgumentNullException.ThrowIfNull(golden);
        Answer answer;
        try
        {
            answer = ParityRunner.Answer(golden, dtype);
        }
#pragma warning disable CA1031 // A checker reports every crash as that case's failure and goes on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new CheckOutcome(golden.Id, CheckStatus.Failed, $"threw {e.GetType().Name}: {e.Message}", null);
        }

        return Check(golden, answer, dtype);
    }
}

/// <summary>The counts of a check run.</summary>
/// <param name="Passed">Cases that passed.</param>
/// <param name="Failed">Cases that failed.</param>
/// <param name="Unsupported">Cases of ops the library does not support yet.</param>
public sealed record CheckSummary(int Passed, int Failed, int Unsupported)
{
    /// <summary>The summary line: <c>N passed, M failed, K unsupported</c>.</summary>
    public override string ToString() => $"{Passed} passed, {Failed} failed, {Unsupported} unsupported";
}

/// <summary>The <c>check</c> command: every case answered and judged.</summary>
public static class ParityCheck
{
    /// <summary>
    /// Runs every case, writes one line per failure to <paramref name="failures"/>
    /// (<c>FAIL id [dtype]: first difference</c>), and returns the counts.
    /// </summary>
    public static CheckSummary Run(IEnumerable<GoldenCase> cases, Dtype dtype, TextWriter failures)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(failures);
        int passed = 0, failed = 0, unsupported = 0;
        foreach (GoldenCase golden in cases)
        {
            CheckOutcome outcome = CaseChecker.Run(golden, dtype);
            switch (outcome.Status)
            {
                case CheckStatus.Passed:
                    passed++;
                    break;
                case CheckStatus.Unsupported:
                    unsupported++;
                    break;
                default:
                    failed++;
                    failures.WriteLine($"FAIL {outcome.Id} [{dtype.Name()}]: {outcome.Message}");
                    break;
            }
        }

        return new CheckSummary(passed, failed, unsupported);
    }
}
