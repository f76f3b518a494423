using Vitmix.Cli;

// Ctrl-C cancels the running command (checked between inputs and batches); the app then exits 130.
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (cts.IsCancellationRequested) return; // a second Ctrl-C kills the process the usual way
    e.Cancel = true;
    cts.Cancel();
};
return await VitmixApp.RunAsync(args, Console.Out, Console.Error, cts.Token);
