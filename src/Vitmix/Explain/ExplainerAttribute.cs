namespace Vitmix.Explain;

/// <summary>Which kinds of map an explainer returns.</summary>
[Flags]
public enum ExplainerOutputs
{
    /// <summary>A map over the patch grid (gh, gw), under the method's name; these are what fusions combine.</summary>
    Grid = 1,
    /// <summary>A map at input resolution (H, W), under NAME.pixels.</summary>
    Pixels = 2,
}

/// <summary>
/// Registers an <see cref="IExplainer"/> class under a method name: <see cref="ExplainerRegistry"/> finds every class
/// carrying it, so a new method is one file (its options are the properties marked <see cref="ExplainerOptionAttribute"/>).
/// </summary>
/// <param name="name">The method name used in <c>--methods</c>, fusion specs and file names.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ExplainerAttribute(string name) : Attribute
{
    /// <summary>The method name.</summary>
    public string Name { get; } = name;

    /// <summary>Other names accepted for the method.</summary>
    public string[] Aliases { get; init; } = [];

    /// <summary>One line for help texts, naming the paper.</summary>
    public string Summary { get; init; } = "";

    /// <summary>The maps it returns.</summary>
    public ExplainerOutputs Outputs { get; init; } = ExplainerOutputs.Grid;

    /// <summary>Whether "all" includes it.</summary>
    public bool InAll { get; init; }

    /// <summary>
    /// One of the four methods the ViTmiX paper fuses (rollout, attention Grad-CAM, saliency, LRP): evaluations combine
    /// these every way by default and pair each other method with LRP (<see cref="Fusion.CombinationPlan.Default"/>).
    /// </summary>
    public bool ViTmiX { get; init; }

    /// <summary>
    /// Whether the name is a prefix applied to another method, NAME-METHOD (<c>smooth-saliency</c>; the class is an
    /// <see cref="IExplainerWrapper"/>): NAME alone names no method.
    /// </summary>
    public bool Wraps { get; init; }

    /// <summary>Where it stands in listings and in "all" (lower first).</summary>
    public int Order { get; init; } = 100;
}

/// <summary>
/// Marks a settable property of an explainer as a user option. The registry exposes it under <see cref="Name"/>
/// (the CLI as <c>--NAME</c>); two explainers declaring the same name share one option.
/// </summary>
/// <param name="name">The option's name in kebab case (<c>rollout-start-layer</c>).</param>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class ExplainerOptionAttribute(string name) : Attribute
{
    /// <summary>The option's name in kebab case.</summary>
    public string Name { get; } = name;

    /// <summary>One line for help texts.</summary>
    public string Description { get; init; } = "";

    /// <summary>The smallest accepted value of a numeric option.</summary>
    public double Minimum { get; init; } = double.NegativeInfinity;

    /// <summary>Numbers must stay below this (exclusive), for ratios in [0, 1).</summary>
    public double ExclusiveMaximum { get; init; } = double.PositiveInfinity;

    /// <summary>What the value stands for in help (<c>LAYER</c>).</summary>
    public string ValueName { get; init; } = "VALUE";
}
