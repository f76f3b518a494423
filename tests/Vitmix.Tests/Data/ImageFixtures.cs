using System.Buffers.Binary;
using SkiaSharp;

namespace Vitmix.Tests.Data;

/// <summary>Writes test images: PNG, JPEG and WebP through SkiaSharp's encoders, BMP by hand.</summary>
public sealed class ImageFixtures : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("vitmix-img-").FullName;

    public string PathFor(string name) => Path.Combine(Dir, name);

    /// <summary>Encodes RGBA pixels (unpremultiplied) with SkiaSharp.</summary>
    public static byte[] Encode(byte[] rgba, int w, int h, SKEncodedImageFormat format, int quality = 100)
    {
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var pixmap = bitmap.PeekPixels();
        using var data = format switch
        {
            SKEncodedImageFormat.Png => pixmap.Encode(SKPngEncoderOptions.Default),
            SKEncodedImageFormat.Jpeg => pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample444, SKJpegEncoderAlphaOption.Ignore)),
            SKEncodedImageFormat.Webp => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100)),
            _ => throw new ArgumentException($"no encoder for {format}"),
        };
        return data?.ToArray() ?? throw new InvalidOperationException($"SkiaSharp could not encode {format}");
    }

    public static byte[] ToRgba(byte[] rgb, byte alpha = 255)
    {
        var rgba = new byte[rgb.Length / 3 * 4];
        for (int i = 0; i < rgb.Length / 3; i++)
        {
            rgba[i * 4] = rgb[i * 3]; rgba[i * 4 + 1] = rgb[i * 3 + 1]; rgba[i * 4 + 2] = rgb[i * 3 + 2]; rgba[i * 4 + 3] = alpha;
        }
        return rgba;
    }

    /// <summary>A 24-bit bottom-up BMP (BITMAPINFOHEADER), rows BGR padded to 4 bytes.</summary>
    public static byte[] Bmp(byte[] rgb, int w, int h)
    {
        int stride = (w * 3 + 3) / 4 * 4;
        var bytes = new byte[54 + stride * h];
        bytes[0] = (byte)'B'; bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), stride * h);
        for (int y = 0; y < h; y++)
        {
            int row = 54 + (h - 1 - y) * stride;
            for (int x = 0; x < w; x++)
            {
                int s = (y * w + x) * 3;
                bytes[row + x * 3] = rgb[s + 2];
                bytes[row + x * 3 + 1] = rgb[s + 1];
                bytes[row + x * 3 + 2] = rgb[s];
            }
        }
        return bytes;
    }

    /// <summary>
    /// Inserts an EXIF APP1 segment holding only the Orientation tag right after the JPEG SOI marker
    /// (little-endian TIFF header, one IFD entry 0x0112 SHORT).
    /// </summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        var tiff = new byte[8 + 2 + 12 + 4];
        tiff[0] = (byte)'I'; tiff[1] = (byte)'I';
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(10), 0x0112);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(12), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(18), orientation);
        byte[] exifHeader = "Exif\0\0"u8.ToArray();
        int segLen = 2 + exifHeader.Length + tiff.Length;
        var app1 = new byte[4 + exifHeader.Length + tiff.Length];
        app1[0] = 0xFF; app1[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(app1.AsSpan(2), (ushort)segLen);
        exifHeader.CopyTo(app1, 4);
        tiff.CopyTo(app1, 4 + exifHeader.Length);
        return [.. jpeg.AsSpan(0, 2), .. app1, .. jpeg.AsSpan(2)];
    }

    public string Write(string name, byte[] bytes)
    {
        string path = PathFor(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
