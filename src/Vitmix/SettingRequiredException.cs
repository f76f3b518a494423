namespace Vitmix;

/// <summary>
/// A value the library needs was not given and cannot be inferred (the number of heads of a checkpoint without a
/// config, the fusion rule of a combination). The message says what is missing in the library's terms;
/// <see cref="Setting"/> names it so that a front end can say how to give it (the CLI: its option).
/// </summary>
public sealed class SettingRequiredException(string setting, string message) : ArgumentException(message)
{
    /// <summary>The missing setting: "heads", "fusion", "image-size".</summary>
    public string Setting { get; } = setting;
}
