namespace Vitmix.Tests.Cli;

/// <summary>Help, usage errors and error reporting: none of these need a loadable model.</summary>
public sealed class CliUsageTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("vitmix-cli-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Theory]
    [InlineData(new string[0], "vitmix [command] [options]")]
    [InlineData(new[] { "info" }, "vitmix info [options]")]
    [InlineData(new[] { "predict" }, "vitmix predict <INPUT>... [options]")]
    public void Every_command_has_help(string[] command, string usage)
    {
        var r = CliRunner.Run([.. command, "--help"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Out);
        Assert.Contains(usage, r.Out);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void Root_help_lists_the_commands_and_the_global_verbose_option()
    {
        var r = CliRunner.Run("--help");
        Assert.Contains("info", r.Out);
        Assert.Contains("predict", r.Out);
        Assert.Contains("--verbose", r.Out);
    }

    [Fact]
    public void Predict_help_lists_its_options_and_the_model_overrides()
    {
        var r = CliRunner.Run("predict", "--help");
        foreach (var option in new[] { "--model", "--top", "--json", "--batch-size", "--heads", "--image-size", "--patch-size",
                                       "--eps", "--mean", "--std", "--resize", "--interpolation", "--crop-pct", "--max-memory", "--verbose" })
            Assert.Contains(option, r.Out);
    }

    [Fact]
    public void No_command_prints_help_and_fails()
    {
        var r = CliRunner.Run();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Usage:", r.Out);
    }

    [Theory]
    [InlineData(new[] { "predict", "x.png" }, "x.png: file not found")] // --model is optional: the embedded model
    [InlineData(new[] { "predict", "--model", "m" }, "predict")]
    [InlineData(new[] { "predict", "x.png", "--model", "m", "--top", "0" }, "--top: expected a positive integer, got '0'")]
    [InlineData(new[] { "predict", "x.png", "--model", "m", "--batch-size", "many" }, "--batch-size: expected a positive integer, got 'many'")]
    [InlineData(new[] { "info", "--model", "m", "--mean", "1,2" }, "--mean: expected three comma-separated numbers")]
    [InlineData(new[] { "info", "--model", "m", "--std", "0.5,0,0.5" }, "--std: expected three comma-separated positive numbers")]
    [InlineData(new[] { "info", "--model", "m", "--resize", "stretch" }, "--resize: expected one of crop, squash, got 'stretch'")]
    [InlineData(new[] { "info", "--model", "m", "--interpolation", "spline" }, "--interpolation: expected one of")]
    [InlineData(new[] { "info", "--model", "m", "--crop-pct", "-1" }, "--crop-pct: expected a number in (0, 1], got '-1'")]
    [InlineData(new[] { "info", "--model", "m", "--crop-pct", "1.5" }, "--crop-pct: expected a number in (0, 1], got '1.5'")]
    [InlineData(new[] { "info", "--model", "m", "--max-memory", "8X" }, "--max-memory: expected a positive size")]
    [InlineData(new[] { "info", "--model", "m", "--eps", "nan" }, "--eps: expected a positive number")]
    [InlineData(new[] { "info", "--model", "m", "--heads", "2.5" }, "--heads: expected a positive integer")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    [InlineData(new[] { "train", "--dataset", "synth:20", "--out", "t", "--lr", "-1" }, "--lr: expected a positive number, got '-1'")]
    [InlineData(new[] { "train", "--dataset", "synth:20", "--out", "t", "--weight-decay", "-0.1" }, "--weight-decay: expected a number ≥ 0, got '-0.1'")]
    [InlineData(new[] { "train", "--dataset", "synth:20", "--out", "t", "--warmup-epochs", "inf" }, "--warmup-epochs: expected a number ≥ 0, got 'inf'")]
    [InlineData(new[] { "train", "--dataset", "synth:20", "--out", "t", "--val-split", "1" }, "--val-split: expected a number in [0, 1), got '1'")]
    [InlineData(new[] { "train", "--dataset", "synth:20", "--out", "t", "--patience", "-2" }, "--patience: expected an integer ≥ 0, got '-2'")]
    [InlineData(new[] { "evaluate", "--dataset", "synth:4", "--out", "e", "--min-confidence", "2" }, "--min-confidence: expected a number in [0, 1], got '2'")]
    [InlineData(new[] { "evaluate", "--dataset", "synth:4", "--out", "e", "--report-images", "-1" }, "--report-images: expected an integer ≥ 0, got '-1'")]
    [InlineData(new[] { "evaluate", "--dataset", "synth:4", "--out", "e", "--deletion-steps", "x" }, "--deletion-steps: expected an integer ≥ 0, got 'x'")]
    [InlineData(new[] { "demo", "--deletion-steps", "-3" }, "--deletion-steps: expected an integer ≥ 0, got '-3'")]
    [InlineData(new[] { "explain", "x.png", "--rollout-discard-ratio", "1.5" }, "--rollout-discard-ratio: expected a number in [0, 1), got '1.5'")]
    [InlineData(new[] { "explain", "x.png", "--lrp-start-layer", "-1" }, "--lrp-start-layer: expected an integer ≥ 0, got '-1'")]
    public void Usage_errors_are_one_line_and_exit_1(string[] args, string expected)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrLines);
        Assert.StartsWith("vitmix: error: ", line);
        Assert.Contains(expected, line);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Missing_model_file_is_one_line_naming_it()
    {
        string model = Path.Combine(_dir, "missing.safetensors");
        foreach (var command in new[] { "info", "predict" })
        {
            string[] args = command == "info" ? ["info", "--model", model] : ["predict", "x.png", "--model", model];
            var r = CliRunner.Run(args);
            Assert.Equal(1, r.ExitCode);
            var line = Assert.Single(r.ErrLines);
            Assert.Equal($"vitmix: error: {model}: model not found (expected a .safetensors file, a model folder or a hub id org/name[@revision])", line);
        }
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_after_the_error_line()
    {
        string model = Path.Combine(_dir, "missing.safetensors");
        var r = CliRunner.Run("info", "--model", model, "--verbose");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("vitmix: error: ", r.ErrLines[0]);
        Assert.Contains("System.IO.FileNotFoundException", r.Err);
        Assert.Contains(" at ", r.Err);
    }

    [Fact]
    public void Argument_errors_do_not_name_internal_parameters()
    {
        var r = CliRunner.Run("train", "--dataset", "synth:abc", "--out", Path.Combine(_dir, "t"));
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrLines);
        Assert.Contains("Dataset spec 'synth:abc'", line);
        Assert.DoesNotContain("(Parameter", line);
        Assert.False(Directory.Exists(Path.Combine(_dir, "t")));
    }

    [Fact]
    public void Error_lines_fold_multi_line_messages()
    {
        Assert.Equal("vitmix: error: a b", Vitmix.Cli.CliErrors.Line("a\r\n  b\n"));
    }
}
