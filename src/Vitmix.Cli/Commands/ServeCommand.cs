using System.CommandLine;
using Vitmix.Data;
using Vitmix.Server;

namespace Vitmix.Cli.Commands;

/// <summary>
/// <c>vitmix serve</c>: the interactive explorer in the browser (src/Vitmix.Server). The command binds options; the
/// server does the work.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var host = new Option<string>("--host") { Description = "Address to listen on (loopback by default: the explorer has no authentication)", DefaultValueFactory = _ => "127.0.0.1", HelpName = "ADDRESS" };
        var port = OptionParsers.NonNegativeInt("--port", "Port to listen on (0: any free port)", 5125, "PORT");
        var images = new Option<string?>("--images") { Description = "A folder whose images the page may open by name (no other file is ever read)", HelpName = "DIR" };
        var maxUpload = OptionParsers.ByteSize("--max-upload", $"Largest upload: bytes, or 512M, 8G (default and ceiling: predict's limit, {InputLimits.MaxFileBytes} bytes)");
        var cache = OptionParsers.ByteSize("--cache-size", "Memory the caches of images, passes and maps may hold (default 512M)");

        var command = new Command("serve", "Explore explanations interactively in the browser: every method side by side, fusions, thresholds, attention per patch");
        model.AddTo(command);
        foreach (var o in new Option[] { host, port, images, maxUpload, cache }) command.Options.Add(o);
        command.SetAction(async (parse, cancel) =>
        {
            if (parse.GetValue(port) > 65535) throw new ArgumentException($"--port: {parse.GetValue(port)} is above 65535");
            if (parse.GetValue(maxUpload) is long upload && (upload < 1 || upload > InputLimits.MaxFileBytes))
                throw new ArgumentException($"--max-upload: {upload} bytes is outside 1..{InputLimits.MaxFileBytes} (predict's limit is the ceiling)");
            var loaded = model.Load(parse, explanation: true);
            var options = new ServerOptions
            {
                Model = loaded, ModelArgument = parse.GetValue(model.Model), Host = parse.GetValue(host)!, Port = parse.GetValue(port),
                ImagesFolder = parse.GetValue(images), DemoSeed = DemoCommand.HeldOutSeed,
                MaxUploadBytes = parse.GetValue(maxUpload) ?? InputLimits.MaxFileBytes,
                CacheBytes = parse.GetValue(cache) ?? 512L << 20,
            };
            await using var server = await VitmixServer.StartAsync(options, cancel);
            var output = ConsoleOutput.Out(parse);
            output.WriteLine($"vitmix serve: {loaded.Config} ({options.ModelArgument ?? "embedded model"})");
            output.WriteLine($"open {server.Url}  (Ctrl-C stops)");
            output.Flush();
            await server.WaitAsync(cancel);
            return 0;
        });
        return command;
    }
}
