using System.Security.Cryptography;
using SkiaSharp;
using Vitmix.Data;
using Vitmix.Data.Datasets;
using Vitmix.Evaluation;
using Vitmix.Model;
using Vitmix.Server.Explaining;

namespace Vitmix.Server.Images;

/// <summary>
/// Turns encoded image bytes (an upload, a folder file) or a rendered picture into an <see cref="ImageSession"/>:
/// decoded in memory under the size limits, brought to the model's input by its own preprocessing, predicted once.
/// </summary>
public sealed class ImageIntake(LoadedModel model, PassQueue queue, ServerOptions options)
{
    /// <summary>Decodes <paramref name="bytes"/> (named <paramref name="name"/> in errors) and predicts its classes.</summary>
    public async Task<ImageSession> FromEncodedAsync(byte[] bytes, string name, string source, string commandInput, CancellationToken cancel)
    {
        if (bytes.LongLength > options.MaxUploadBytes)
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"{name}: {bytes.LongLength} bytes, more than the limit of {options.MaxUploadBytes}");
        if (bytes.Length == 0) throw ApiException.BadRequest($"{name}: empty file, expected an image");
        CheckDeclaredPixels(bytes, name);
        RgbImage image;
        try { image = ImageLoader.DecodeRgb(bytes, name); }
        catch (InvalidDataException e) { throw new ApiException(StatusCodes.Status422UnprocessableEntity, e.Message); }
        if ((long)image.Width * image.Height > options.MaxPixels)
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"{name}: {image.Width}x{image.Height} pixels, more than the limit of {options.MaxPixels}");
        return await FromPictureAsync(image, name, source, commandInput, originalPng: null, groundTruth: null, cancel);
    }

    /// <summary>A decoded picture of any size, with an optional ground-truth mask of the same size.</summary>
    public async Task<ImageSession> FromPictureAsync(RgbImage image, string name, string source, string commandInput, byte[]? originalPng,
        GroundTruthMask? groundTruth, CancellationToken cancel)
    {
        var pre = model.Preprocessing;
        var shown = ImagePreprocessor.ResizeAndCrop(image, pre);
        var c = model.Config;
        if (shown.Height != c.ImageHeight || shown.Width != c.ImageWidth)
            throw new InvalidOperationException($"the model's preprocessing gives {shown.Width}x{shown.Height} but the model expects {c.ImageWidth}x{c.ImageHeight}");
        var input = new Tensor(1, 3, c.ImageHeight, c.ImageWidth);
        ImagePreprocessor.Normalize(shown, pre, input.Data);
        float[] logits;
        using (await queue.EnterAsync(null, cancel))
        {
            cancel.ThrowIfCancellationRequested();
            logits = model.Network.Forward(input).Data.AsSpan(0, c.NumClasses).ToArray();
        }
        return new ImageSession
        {
            Id = Hash([.. shown.Pixels, .. System.Text.Encoding.UTF8.GetBytes($"|{source}|{name}")]), ContentId = Hash(shown.Pixels), Name = name, Source = source, Display = shown, Input = input, Logits = logits,
            CommandInput = commandInput, OriginalPng = originalPng, OriginalWidth = image.Width, OriginalHeight = image.Height,
            GroundTruth = groundTruth is null ? null : Binary(MaskGeometry.ToModelInput(groundTruth, pre)),
        };
    }

    /// <summary>
    /// A mask for <paramref name="image"/>: an image of the uploaded picture's size (the original, before the model's
    /// resize and crop), any non-black pixel object; brought to the model's input as evaluations do.
    /// </summary>
    public byte[] MaskFromEncoded(byte[] bytes, string name, int originalWidth, int originalHeight)
    {
        if (bytes.LongLength > options.MaxUploadBytes)
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, $"{name}: {bytes.LongLength} bytes, more than the limit of {options.MaxUploadBytes}");
        if (bytes.Length == 0) throw ApiException.BadRequest($"{name}: empty file, expected a mask image");
        CheckDeclaredPixels(bytes, name);
        RgbImage picture;
        try { picture = ImageLoader.DecodeRgb(bytes, name, applyExifOrientation: false); }
        catch (InvalidDataException e) { throw new ApiException(StatusCodes.Status422UnprocessableEntity, e.Message); }
        if (picture.Width != originalWidth || picture.Height != originalHeight)
            throw ApiException.BadRequest($"{name}: mask is {picture.Width}x{picture.Height}, but the image is {originalWidth}x{originalHeight}");
        var labels = new byte[picture.Width * picture.Height];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = picture.Pixels[3 * i] > 127 || picture.Pixels[3 * i + 1] > 127 || picture.Pixels[3 * i + 2] > 127 ? (byte)1 : (byte)0;
        return Binary(MaskGeometry.ToModelInput(new GroundTruthMask(labels, picture.Width, picture.Height), model.Preprocessing));
    }

    /// <summary>Refuses, from the header alone, an image declaring more pixels than this server's limit (which may be lower than the library's).</summary>
    void CheckDeclaredPixels(byte[] bytes, string name)
    {
        using var data = SKData.CreateCopy(bytes.AsSpan(0, Math.Min(bytes.Length, 1 << 16)));
        using var codec = SKCodec.Create(data);
        if (codec is null) return; // not something Skia recognises from its start: the decoder names the problem
        long pixels = (long)codec.Info.Width * codec.Info.Height;
        if (pixels > options.MaxPixels)
            throw new ApiException(StatusCodes.Status413PayloadTooLarge,
                $"{name}: declares {codec.Info.Width}x{codec.Info.Height} = {pixels} pixels, more than the limit of {options.MaxPixels}; refused before decoding");
    }

    static byte[] Binary(byte[] labels)
    {
        var mask = new byte[labels.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = labels[i] == 1 ? (byte)1 : (byte)0;
        return mask;
    }

    static string Hash(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes), 0, 8).ToLowerInvariant();
}
