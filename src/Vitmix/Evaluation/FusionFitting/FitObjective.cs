namespace Vitmix.Evaluation.FusionFitting;

/// <summary>What a learned fusion is chosen to do well on the training split.</summary>
public enum FitObjective
{
    /// <summary>Mean IoU of the thresholded fused map against the object masks (higher is better).</summary>
    Iou,
    /// <summary>Mean F1 (Dice) of the thresholded fused map (higher is better).</summary>
    F1,
    /// <summary>Mean deletion AUC of the fused map (RISE; lower is better): the class probability falls fastest when its most relevant pixels go first.</summary>
    Deletion,
}
