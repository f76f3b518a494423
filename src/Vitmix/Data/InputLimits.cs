namespace Vitmix.Data;

/// <summary>
/// The sizes Vitmix refuses to read, in one place: every image and .npy reader checks them before it allocates,
/// so an untrusted file costs at most what a legitimate file of the limit would.
/// </summary>
/// <remarks>
/// The pixel limit is Pillow's: <c>Image.MAX_IMAGE_PIXELS</c> = 89,478,485 (1024³ / 4 / 3, a 24-bit image of a
/// quarter gigabyte) is where Pillow warns of a decompression bomb, and twice it is where <c>Image.open</c> raises
/// <c>DecompressionBombError</c> (Pillow, <c>Image._decompression_bomb_check</c>). Vitmix refuses exactly what a PIL
/// pipeline (timm, torchvision, Hugging Face) refuses, so no image that opens there fails here.
/// The byte limit follows from it: the largest common uncompressed encoding of an 8-bit image is 4 bytes per pixel
/// (a 32-bit BMP, a PNG of RGBA stored without compression), plus room for metadata (EXIF, ICC profiles).
/// No decodable image at the pixel limit is larger; a 16-bit raw image (PPM, PNG) is limited to half the pixels.
/// </remarks>
public static class InputLimits
{
    /// <summary>Pillow's <c>Image.MAX_IMAGE_PIXELS</c>, the decompression-bomb warning threshold.</summary>
    public const long PillowMaxImagePixels = 89_478_485L;

    /// <summary>Largest image accepted, width × height: 2 × <see cref="PillowMaxImagePixels"/>, where Pillow refuses.</summary>
    public const long MaxPixels = 2 * PillowMaxImagePixels;

    /// <summary>Room for metadata beside the pixels of the largest image.</summary>
    const long MetadataAllowance = 64L << 20;

    /// <summary>Largest input file read (image or .npy): 4 bytes per pixel of the largest image, plus 64 MiB.</summary>
    public const long MaxFileBytes = 4 * MaxPixels + MetadataAllowance;

    /// <summary>
    /// Largest text file read (labels.csv, split lists, metadata, config.json): 64 MiB, some hundred times the largest
    /// such file of a real dataset or checkpoint (ImageNet-21k's label list is under 1 MB).
    /// </summary>
    public const long MaxTextFileBytes = 64L << 20;

    /// <summary>Refuses a declared image size above <see cref="MaxPixels"/> (or not positive), naming the source.</summary>
    public static void CheckPixels(long width, long height, string source, string format)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{source}: not a decodable image ({format} declares a size of {width}x{height})");
        // In 128 bits: a text header (PGM/PPM) can declare sides whose product overflows a long.
        Int128 pixels = (Int128)width * height;
        if (pixels > MaxPixels)
            throw new InvalidDataException(
                $"{source}: {format} image declares {width}x{height} = {pixels} pixels, more than the limit of {MaxPixels} " +
                "(Pillow's decompression-bomb limit); refused before decoding");
    }
}
