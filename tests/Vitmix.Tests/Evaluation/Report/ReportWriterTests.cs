using System.Xml.Linq;
using SkiaSharp;
using Vitmix.Evaluation.Report;

namespace Vitmix.Tests.Evaluation.Report;

public class ReportWriterTests
{
    internal static byte[] Tile(int seed)
    {
        using var bitmap = new SKBitmap(16, 16);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 16), (byte)(y * 16), (byte)(seed * 40)));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    static MeanInterval M(double mean, double half) => new(mean, mean - half, mean + half, 10, half);

    internal static ReportData Synthetic() => new()
    {
        Title = "Vitmix evaluation <test> & co",
        Info = [new("model", "vit_tiny_patch16_224"), new("dataset", "synthetic (10 images)")],
        Summary =
        [
            new("rollout", "rollout", "", 10, new Dictionary<string, MeanInterval>
            {
                ["iou"] = M(0.40, 0.05), ["f1"] = M(0.55, 0.04), ["pixel_accuracy"] = M(0.80, 0.02),
                ["recall"] = M(0.70, 0.05), ["precision"] = M(0.45, 0.06), ["deletion_auc"] = M(0.30, 0.03),
                ["insertion_auc"] = M(0.60, 0.03),
            }),
            new("gm(rollout,gradcam)", "rollout+gradcam", "geometric-mean", 10, new Dictionary<string, MeanInterval>
            {
                ["iou"] = M(0.52, 0.05), ["f1"] = M(0.50, 0.04), ["pixel_accuracy"] = M(0.85, 0.02),
                ["recall"] = M(0.60, 0.05), ["precision"] = M(0.62, 0.06), ["deletion_auc"] = M(0.25, 0.03),
                // insertion_auc missing on purpose
            }),
        ],
        DeletionCurves = [new("rollout", [0.9, 0.6, 0.4, 0.2, 0.1]), new("gm(rollout,gradcam)", [0.9, 0.5, 0.3, 0.15, 0.1])],
        InsertionCurves = [new("rollout", [0.1, 0.3, 0.6, 0.8, 0.9]), new("gm(rollout,gradcam)", [0.1, 0.4, 0.7, 0.85, 0.9])],
        Theory = [new("gm(rollout,gradcam)", "precision", 0.60, 0.62)],
        TheoryCaption = "Predicted precision of the fused mask from the single-method precisions.",
        Images =
        [
            new("img_001", "pred: tabby (0.83)", [new("image", Tile(1)), new("ground truth", Tile(2)), new("rollout overlay", Tile(3)), new("rollout mask", Tile(4))]),
            new("img_002", null, [new("image", Tile(5)), new("ground truth", Tile(6))]),
        ],
    };

    static XDocument WriteAndParse(ReportData data, out string html)
    {
        string dir = Directory.CreateTempSubdirectory("vitmix-report-").FullName;
        try
        {
            string path = Path.Combine(dir, "out", "report.html");
            ReportWriter.Write(path, data);
            html = File.ReadAllText(path);
            return XDocument.Parse(html); // throws if not well-formed
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void SummaryTableHasOneRowPerMapAndMarksTheBest()
    {
        var doc = WriteAndParse(Synthetic(), out _);
        var table = doc.Descendants("table").Single(t => (string?)t.Attribute("class") == "summary");
        var headers = table.Descendants("th").Select(th => th.Value).ToList();
        Assert.Equal(["map", "method", "fusion", "n", "iou", "f1", "pixel_accuracy", "recall", "precision", "deletion_auc", "insertion_auc"], headers);
        var rows = table.Element("tbody")!.Elements("tr").ToList();
        Assert.Equal(2, rows.Count);
        var cells = rows.Select(r => r.Elements("td").ToList()).ToList();
        Assert.Equal("rollout", cells[0][0].Value);
        Assert.Equal("geometric-mean", cells[1][2].Value);
        bool Best(XElement td) => (string?)td.Attribute("class") == "best";
        // iou (col 4): fused 0.52 wins; f1 (col 5): rollout 0.55 wins; deletion (col 9): lower wins → fused 0.25.
        Assert.True(Best(cells[1][4]) && !Best(cells[0][4]));
        Assert.True(Best(cells[0][5]) && !Best(cells[1][5]));
        Assert.True(Best(cells[1][9]) && !Best(cells[0][9]));
        Assert.Equal("\u2013", cells[1][10].Value); // missing metric
        Assert.StartsWith("0.520 [0.470, 0.570]", cells[1][4].Value);
    }

    [Fact]
    public void EscapesTextAndHasNoExternalResources()
    {
        var doc = WriteAndParse(Synthetic(), out string html);
        Assert.Equal("Vitmix evaluation <test> & co", doc.Descendants("title").Single().Value);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<link", html);
        Assert.Contains("Theory vs measurement", html);
        Assert.Contains("pred: tabby (0.83)", html);
    }

    [Fact]
    public void ImagesAreDecodablePngsWithContent()
    {
        var doc = WriteAndParse(Synthetic(), out _);
        var imgs = doc.Descendants("img").ToList();
        // 3 plots (IoU bars, deletion, insertion) + 4 + 2 tiles
        Assert.Equal(9, imgs.Count);
        foreach (var img in imgs)
        {
            string src = (string)img.Attribute("src")!;
            Assert.StartsWith("data:image/png;base64,", src);
            byte[] png = Convert.FromBase64String(src["data:image/png;base64,".Length..]);
            using var bitmap = SKBitmap.Decode(png);
            Assert.NotNull(bitmap);
            var colours = new HashSet<uint>();
            for (int y = 0; y < bitmap.Height; y += 2)
                for (int x = 0; x < bitmap.Width; x += 2) colours.Add((uint)bitmap.GetPixel(x, y));
            Assert.True(colours.Count > 8, $"{img.Attribute("alt")}: only {colours.Count} colours");
        }
        var plots = imgs.Where(i => (string?)i.Attribute("class") == "plot").ToList();
        Assert.Equal(3, plots.Count);
        Assert.All(plots, p =>
        {
            using var b = SKBitmap.Decode(Convert.FromBase64String(((string)p.Attribute("src")!)[22..]));
            Assert.Equal((640, 400), (b.Width, b.Height));
        });
        // The tiles are embedded byte-for-byte.
        Assert.Equal(Tile(1), Convert.FromBase64String(((string)imgs[3].Attribute("src")!)[22..]));
    }

    [Fact]
    public void PlotTextIsRendered()
    {
        // Plot titles need fonts (fontconfig + DejaVu); without them ScottPlot draws no glyphs. The title strip of
        // the IoU chart (top 30 rows) must then contain dark text pixels.
        byte[] png = ReportPlots.MeanBars(Synthetic().Summary, "iou", "Mean IoU by map");
        using var b = SKBitmap.Decode(png);
        int dark = 0;
        for (int y = 0; y < 30; y++)
            for (int x = 0; x < b.Width; x++)
            {
                var c = b.GetPixel(x, y);
                if (c.Red < 100 && c.Green < 100 && c.Blue < 100) dark++;
            }
        Assert.True(dark > 50, $"only {dark} dark pixels in the title strip: fonts missing? (apt-get install fontconfig fonts-dejavu-core)");
    }

    [Fact]
    public void MinimalReportAndErrors()
    {
        var doc = WriteAndParse(new ReportData { Title = "t", Summary = [] }, out string html);
        Assert.Empty(doc.Descendants("img"));
        Assert.DoesNotContain("Theory", html);

        var dup = new ReportData
        {
            Title = "t",
            Summary = [new("a", "a", "", 1, new Dictionary<string, MeanInterval>()), new("a", "a", "", 1, new Dictionary<string, MeanInterval>())],
        };
        Assert.Contains("'a'", Assert.Throws<ArgumentException>(() => ReportWriter.Render(dup)).Message);

        var notPng = new ReportData { Title = "t", Summary = [], Images = [new("x", null, [new("image", [1, 2, 3, 4, 5, 6, 7, 8])])] };
        Assert.Contains("x: image", Assert.Throws<ArgumentException>(() => ReportWriter.Render(notPng)).Message);
    }
}
