namespace Vitmix.Training;

/// <summary>Linear warmup to the peak rate, then cosine decay to <see cref="MinRate"/> (timm's cosine scheduler, per step).</summary>
public sealed record LearningRateSchedule(float PeakRate, long WarmupSteps, long TotalSteps, float MinRate = 1e-6f)
{
    public float At(long step)
    {
        if (step < WarmupSteps) return PeakRate * (step + 1) / WarmupSteps;
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps));
        return (float)(MinRate + 0.5 * (PeakRate - MinRate) * (1 + Math.Cos(Math.PI * progress)));
    }
}
