namespace Vitmix.Training;

/// <summary>Linear warmup to the peak rate, then cosine decay to <see cref="MinRate"/> (timm's cosine scheduler, per step).</summary>
/// <param name="PeakRate">The rate at the end of warmup.</param>
/// <param name="WarmupSteps">Steps of linear warmup; 0 for none.</param>
/// <param name="TotalSteps">Steps of the whole run, warmup included; the rate stays at <paramref name="MinRate"/> after it.</param>
/// <param name="MinRate">The rate the cosine ends at.</param>
public sealed record LearningRateSchedule(float PeakRate, long WarmupSteps, long TotalSteps, float MinRate = 1e-6f)
{
    /// <summary>The rate for 0-based optimizer step <paramref name="step"/>: PeakRate·(step + 1)/WarmupSteps during warmup, then the cosine.</summary>
    public float At(long step)
    {
        if (step < WarmupSteps) return PeakRate * (step + 1) / WarmupSteps;
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps));
        return (float)(MinRate + 0.5 * (PeakRate - MinRate) * (1 + Math.Cos(Math.PI * progress)));
    }
}
