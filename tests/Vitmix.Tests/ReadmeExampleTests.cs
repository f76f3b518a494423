using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Vitmix.Tests;

/// <summary>
/// The README's library example compiles against the library as a user's program would (top-level statements, the
/// public API only) and runs on the golden model: its IoU for the fused map matches the reference's.
/// </summary>
public class ReadmeExampleTests
{
    static string ExampleSource()
    {
        string readme = File.ReadAllText(Path.Combine(GoldenData.RepositoryRoot, "README.md"));
        var m = Regex.Match(readme, @"<!-- library-example[^>]*-->\s*```csharp\n(?<code>.*?)```\s*<!-- /library-example -->", RegexOptions.Singleline);
        Assert.True(m.Success, "README.md has no library-example block");
        return m.Groups["code"].Value;
    }

    /// <summary>Compiles <paramref name="source"/> to an executable against the framework and the library's public surface.</summary>
    static byte[] Compile(string source)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var tree = CSharpSyntaxTree.ParseText(source, parse);
        // What a console project's ImplicitUsings add (dotnet new console).
        var implicitUsings = CSharpSyntaxTree.ParseText(string.Concat(new[] { "System", "System.Collections.Generic", "System.IO", "System.Linq",
            "System.Net.Http", "System.Threading", "System.Threading.Tasks" }.Select(n => $"global using {n};\n")), parse);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(Vitmix.Model.VisionTransformer).Assembly.Location)
            .Distinct().Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("ReadmeExample", [tree, implicitUsings], references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var ms = new MemoryStream();
        var result = compilation.Emit(ms);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(result.Success, "the README example does not compile:\n" + string.Join("\n", errors));
        return ms.ToArray();
    }

    [Fact]
    public void TheLibraryExampleCompilesAndRunsOnTheGoldenModel()
    {
        const string set = "vit64_p16_d64_l4_h4_c5", image = "disk";
        var assembly = new AssemblyLoadContext("readme-example", isCollectible: true).LoadFromStream(new MemoryStream(Compile(ExampleSource())));
        string imagePath = GoldenData.Path(set, "images", image + ".png");
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            assembly.EntryPoint!.Invoke(null, [new[] { GoldenData.SetDir(set), GoldenData.Path(set, "images", image + "_mask.png"), imagePath }]);
        }
        catch (TargetInvocationException e) { throw e.InnerException!; }
        finally { Console.SetOut(console); }

        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(imagePath + ": ", line);
        double iou = double.Parse(Regex.Match(line, @"IoU (\d\.\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        // The reference fused LRP, rollout (from block 3) and attention Grad-CAM by geometric mean with Otsu's threshold.
        double expected = GoldenData.ImageManifest(set, image).GetProperty("fusion").GetProperty("LRP+rollout+CAM_geomean").GetProperty("iou").GetDouble();
        Assert.True(Math.Abs(iou - expected) <= 0.01, $"IoU {iou} vs the reference's {expected}");
    }
}
