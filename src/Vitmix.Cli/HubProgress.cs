using System.CommandLine;

namespace Vitmix.Cli;

/// <summary>Download progress for a hub model named by --model: a percentage line on stderr every 10%.</summary>
sealed class HubProgress(TextWriter error) : IProgress<(long done, long total)>
{
    int _lastDecile = -1;

    public static HubProgress Create(ParseResult parse) => new(parse.InvocationConfiguration.Error);

    public void Report((long done, long total) value)
    {
        if (value.total <= 0) return;
        int decile = (int)(10 * value.done / value.total);
        if (decile == _lastDecile) return;
        _lastDecile = decile;
        error.WriteLine($"vitmix: downloading {value.done / 1048576.0:0.0} / {value.total / 1048576.0:0.0} MB ({10 * decile}%)");
    }
}
