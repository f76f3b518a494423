using System.Reflection;

namespace Vitmix.Explain;

/// <summary>An option an explainer declares, as the registry exposes it.</summary>
/// <param name="Name">Kebab-case name.</param>
/// <param name="Type">int, float, double, bool or an enum.</param>
/// <param name="Default">The explainer's default value.</param>
/// <param name="Attribute">Description, range and value name.</param>
/// <param name="Methods">The methods that read it.</param>
public sealed record ExplainerOption(string Name, Type Type, object? Default, ExplainerOptionAttribute Attribute, IReadOnlyList<string> Methods);

/// <summary>A registered explainer: its method name, aliases, maps and options, and how to make one.</summary>
public sealed record ExplainerDescriptor(Type Type, ExplainerAttribute Info, IReadOnlyList<(PropertyInfo Property, ExplainerOptionAttribute Option)> Options)
{
    /// <summary>For a wrapper (<see cref="ExplainerAttribute.Wraps"/>) applied to a method: that method.</summary>
    public ExplainerDescriptor? Inner { get; init; }

    /// <summary>The method name: PREFIX-METHOD for a wrapper applied to a method.</summary>
    public string Name => Inner is null ? Info.Name : $"{Info.Name}-{Inner.Name}";

    /// <summary>Whether it returns a grid map (which fusions can combine); a wrapper's maps are its method's.</summary>
    public bool HasGridMap => Inner?.HasGridMap ?? Info.Outputs.HasFlag(ExplainerOutputs.Grid);

    /// <summary>A new explainer with <paramref name="options"/> applied (options it does not declare are ignored).</summary>
    public IExplainer Create(ExplainerOptions options)
    {
        var explainer = (IExplainer)Activator.CreateInstance(Type)!;
        foreach (var (property, option) in Options)
            if (options.TryGet(option.Name, out var value))
            {
                try { property.SetValue(explainer, Convert(value, property.PropertyType, option.Name)); }
                catch (TargetInvocationException e) when (e.InnerException is ArgumentException a)
                {
                    // The option's name leads the line; the C# parameter name .NET appends would only repeat it.
                    string reason = a.ParamName is { } p ? a.Message.Replace($" (Parameter '{p}')", "") : a.Message;
                    throw new ArgumentException($"{option.Name}: {reason}", a);
                }
            }
        if (Inner != null) ((IExplainerWrapper)explainer).Inner = Inner.Create(options);
        else if (Info.Wraps) throw new ArgumentException($"'{Info.Name}' is applied to a method: write {Info.Name}-METHOD, e.g. {Info.Name}-saliency");
        return explainer;
    }

    static object Convert(object value, Type type, string name)
    {
        if (type.IsInstanceOfType(value)) return value;
        try
        {
            if (type.IsEnum) return value is string s ? Enum.Parse(type, s, ignoreCase: true) : Enum.ToObject(type, value);
            return System.Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException or ArgumentException)
        {
            throw new ArgumentException($"{name}: '{value}' is not a valid {type.Name}");
        }
    }
}

/// <summary>
/// Every explanation method, found from the classes carrying <see cref="ExplainerAttribute"/>: the method names and
/// aliases <c>--methods</c> accepts, what "all" means, which methods give grid maps, and the options they declare.
/// Explainers of other assemblies join with <see cref="Register"/>.
/// </summary>
public static partial class ExplainerRegistry
{
    static readonly object gate = new();
    static List<ExplainerDescriptor> all = Discover(typeof(ExplainerRegistry).Assembly);

    static List<ExplainerDescriptor> Discover(Assembly assembly) =>
        assembly.GetTypes().Where(t => t.GetCustomAttribute<ExplainerAttribute>() != null).Select(Describe)
            .OrderBy(d => d.Info.Order).ThenBy(d => d.Name, StringComparer.Ordinal).ToList();

    static ExplainerDescriptor Describe(Type type)
    {
        if (!typeof(IExplainer).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) == null)
            throw new InvalidOperationException($"{type.Name} is marked [Explainer] but is not an IExplainer with a public parameterless constructor");
        var options = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Option: p.GetCustomAttribute<ExplainerOptionAttribute>()))
            .Where(p => p.Option != null).Select(p => (p.Property, p.Option!)).ToList();
        foreach (var (p, o) in options)
            if (!p.CanWrite) throw new InvalidOperationException($"{type.Name}.{p.Name} is option '{o.Name}' but cannot be set");
        var info = type.GetCustomAttribute<ExplainerAttribute>()!;
        if (info.Wraps && !typeof(IExplainerWrapper).IsAssignableFrom(type))
            throw new InvalidOperationException($"{type.Name} is marked [Explainer(Wraps = true)] but is not an IExplainerWrapper");
        return new ExplainerDescriptor(type, info, options);
    }

    /// <summary>Every registered explainer in canonical order.</summary>
    public static IReadOnlyList<ExplainerDescriptor> All { get { lock (gate) return all.ToList(); } }

    /// <summary>What "all" stands for, in canonical order.</summary>
    public static IReadOnlyList<string> AllMethods => All.Where(d => d.Info.InAll).Select(d => d.Name).ToList();

    /// <summary>
    /// The methods of "all" that give grid maps, which evaluations fuse and score by default: the four ViTmiX methods,
    /// the three others its talk surveys (Attention Flow, TAM, ViT-CX) and the newer ones (GAE, AttnLRP, CP-LRP,
    /// integrated gradients, TIS).
    /// </summary>
    public static string GridMethodsOfAll => string.Join(",", All.Where(d => d.Info.InAll && d.HasGridMap).Select(d => d.Name));

    /// <summary>The four methods the ViTmiX paper fuses (<see cref="ExplainerAttribute.ViTmiX"/>).</summary>
    public static IReadOnlyList<string> ViTmiXMethods => All.Where(d => d.Info.ViTmiX).Select(d => d.Name).ToList();

    /// <summary>Adds an explainer class of another assembly (a user's own method).</summary>
    public static void Register(Type type)
    {
        var d = Describe(type);
        lock (gate)
        {
            if (all.Any(x => x.Type == type)) return;
            var taken = all.SelectMany(x => x.Info.Aliases.Append(x.Name)).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var name in d.Info.Aliases.Append(d.Name))
                if (taken.Contains(name)) throw new ArgumentException($"method name '{name}' of {type.Name} is already registered");
            all = all.Append(d).OrderBy(x => x.Info.Order).ThenBy(x => x.Name, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>
    /// The explainer named <paramref name="nameOrAlias"/> (case-insensitive), or null. A wrapper applied to a method
    /// is PREFIX-METHOD or PREFIX(METHOD) (<c>smooth-saliency</c>, <c>smooth(saliency)</c>), METHOD any name or alias
    /// that is not itself a wrapper; a wrapper's bare prefix is found too, and refuses to be created.
    /// </summary>
    public static ExplainerDescriptor? Find(string nameOrAlias)
    {
        var all = All;
        var plain = FindIn(all, nameOrAlias.Trim());
        if (plain != null) return plain;
        var m = WrappedName().Match(nameOrAlias.Trim());
        if (!m.Success) return null;
        var wrapper = FindIn(all, m.Groups["wrapper"].Value);
        var inner = FindIn(all, m.Groups["call"].Success ? m.Groups["call"].Value.Trim() : m.Groups["inner"].Value);
        return wrapper is { Info.Wraps: true } && inner is { Info.Wraps: false } ? wrapper with { Inner = inner } : null;
    }

    static ExplainerDescriptor? FindIn(IReadOnlyList<ExplainerDescriptor> all, string nameOrAlias) =>
        all.FirstOrDefault(d => string.Equals(d.Name, nameOrAlias, StringComparison.OrdinalIgnoreCase)
            || d.Info.Aliases.Any(a => string.Equals(a, nameOrAlias, StringComparison.OrdinalIgnoreCase)));

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<wrapper>[A-Za-z]+)(\((?<call>[^()]+)\)|-(?<inner>.+))$")]
    private static partial System.Text.RegularExpressions.Regex WrappedName();

    /// <summary>The method names, for messages: "rollout, gradcam, …, smooth-METHOD".</summary>
    public static string Names => string.Join(", ", All.Select(d => d.Info.Wraps ? d.Name + "-METHOD" : d.Name));

    /// <summary>Every option any explainer declares, merged by name, in registry order.</summary>
    public static IReadOnlyList<ExplainerOption> Options
    {
        get
        {
            var result = new List<ExplainerOption>();
            foreach (var d in All)
                foreach (var (property, option) in d.Options)
                {
                    int i = result.FindIndex(o => o.Name == option.Name);
                    if (i >= 0)
                    {
                        if (result[i].Type != property.PropertyType)
                            throw new InvalidOperationException($"option '{option.Name}' is {result[i].Type.Name} in {string.Join(", ", result[i].Methods)} but {property.PropertyType.Name} in {d.Name}");
                        result[i] = result[i] with { Methods = [.. result[i].Methods, d.Name] };
                    }
                    else result.Add(new ExplainerOption(option.Name, property.PropertyType, property.GetValue(Activator.CreateInstance(d.Type)), option, [d.Name]));
                }
            return result;
        }
    }
}
