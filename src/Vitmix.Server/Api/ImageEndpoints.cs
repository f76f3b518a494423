using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Vitmix.Data.Datasets;
using Vitmix.Model;
using Vitmix.Server.Images;

namespace Vitmix.Server.Api;

/// <summary>Images in: uploads, the --images folder, the demo's synthetic images; a ground-truth mask; the picture shown.</summary>
public static class ImageEndpoints
{
    /// <summary>Maps the image endpoints.</summary>
    public static void MapImageEndpoints(this IEndpointRouteBuilder app, ServerState state)
    {
        // The body is the file itself (what the page's drag and drop sends); ?name= names it for people and the command line.
        app.MapPost("/api/images", async (HttpContext context) =>
        {
            string name = SafeName(RequestValues.Optional(context.Request, "name", "upload"));
            var bytes = await RequestValues.Body(context.Request, state.Options.MaxUploadBytes, context.RequestAborted);
            var image = await state.Intake.FromEncodedAsync(bytes, name, "upload", name, context.RequestAborted);
            await ApiJson.Write(context, Describe(Keep(state, image), state.Options.Model));
        });

        app.MapGet("/api/images/demo", (HttpContext context) =>
            ApiJson.Write(context, new { images = state.Demo.List().Select(d => new { index = d.Index, name = d.Name, className = d.ClassName }) }));

        app.MapPost("/api/images/demo/{index}", async (HttpContext context, string index) =>
        {
            if (!int.TryParse(index, out int i)) throw ApiException.BadRequest($"index: '{ImageFolder.Printable(index)}' is not an integer");
            var sample = state.Demo.Get(i);
            var png = PngBytes.Rgb(sample.Image.Pixels, sample.Image.Width, sample.Image.Height);
            var image = await state.Intake.FromPictureAsync(sample.Image, sample.Name, "demo", sample.Name + ".png", png,
                sample.ToGroundTruthMask(), context.RequestAborted);
            await ApiJson.Write(context, Describe(Keep(state, image), state.Options.Model));
        });

        app.MapGet("/api/images/folder", (HttpContext context) =>
            ApiJson.Write(context, new { images = Folder(state).List() }));

        app.MapPost("/api/images/folder", async (HttpContext context) =>
        {
            var folder = Folder(state);
            string name = RequestValues.Required(context.Request, "name");
            string path = folder.Resolve(name);
            var length = new FileInfo(path).Length;
            if (length > state.Options.MaxUploadBytes)
                throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"{name}: {length} bytes, more than the limit of {state.Options.MaxUploadBytes}");
            var bytes = await File.ReadAllBytesAsync(path, context.RequestAborted);
            var image = await state.Intake.FromEncodedAsync(bytes, name, "folder", path, context.RequestAborted);
            await ApiJson.Write(context, Describe(Keep(state, image), state.Options.Model));
        });

        app.MapPost("/api/images/{id}/mask", async (HttpContext context, string id) =>
        {
            var image = state.Image(id);
            var bytes = await RequestValues.Body(context.Request, state.Options.MaxUploadBytes, context.RequestAborted);
            string name = SafeName(RequestValues.Optional(context.Request, "name", "mask"));
            image.GroundTruth = state.Intake.MaskFromEncoded(bytes, name, image.OriginalWidth, image.OriginalHeight);
            await ApiJson.Write(context, Describe(image, state.Options.Model));
        });

        app.MapGet("/api/images/{id}/image.png", (HttpContext context, string id) =>
        {
            var image = state.Image(id);
            return Results.Bytes(PngBytes.Rgb(image.Display.Pixels, image.Display.Width, image.Display.Height), "image/png");
        });

        app.MapGet("/api/images/{id}/original.png", (HttpContext context, string id) =>
        {
            var image = state.Image(id);
            return image.OriginalPng is { } png ? Results.Bytes(png, "image/png", image.CommandInput)
                : throw ApiException.NotFound($"image '{id}': the original is the file you loaded ({image.CommandInput})");
        });
    }

    /// <summary>
    /// The session of an image: the one already kept under its id when there is one (its views and its uploaded mask
    /// stay valid), else the new one.
    /// </summary>
    static Images.ImageSession Keep(ServerState state, Images.ImageSession image) =>
        state.Images.TryGet(image.Id, out var kept) ? kept : state.Images.Add(image.Id, image);

    static ImageFolder Folder(ServerState state) =>
        state.Folder ?? throw ApiException.NotFound("no image folder: start the server with --images DIR to pick images from one");

    /// <summary>What the page shows of an image: its size, prediction and top-5.</summary>
    public static object Describe(ImageSession image, LoadedModel model)
    {
        var probabilities = Probabilities.Of(model.Config, image.Logits);
        var top = Enumerable.Range(0, probabilities.Length).OrderByDescending(i => probabilities[i]).ThenBy(i => i).Take(5)
            .Select(i => new { index = i, name = model.ClassName(i), probability = probabilities[i] }).ToList();
        return new
        {
            id = image.Id, name = image.Name, source = image.Source, width = image.Display.Width, height = image.Display.Height,
            originalWidth = image.OriginalWidth, originalHeight = image.OriginalHeight, hasMask = image.GroundTruth != null,
            mask = image.GroundTruth is { } m ? Convert.ToBase64String(m) : null,
            predicted = top[0], top5 = top, imageUrl = $"/api/images/{image.Id}/image.png",
            originalUrl = image.OriginalPng != null ? $"/api/images/{image.Id}/original.png" : null,
        };
    }

    /// <summary>A client-given file name as the server keeps it: the last path segment, printable, at most 200 characters.</summary>
    static string SafeName(string name)
    {
        string last = name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "upload";
        string printable = ImageFolder.Printable(last).TrimEnd('…');
        return printable is "" or "." or ".." ? "upload" : printable;
    }
}
