namespace Vitmix.Data;

/// <summary>
/// Counts the pixels the LZW data of a GIF's first frame codes, without storing them (GIF89a specification, 1990,
/// appendix F): a 4096-entry table of string lengths is all the state, so a hostile canvas size costs nothing here.
/// </summary>
internal static class GifFrameCodes
{
    /// <summary>
    /// The first frame's size, how many pixels its data codes (stopping once it covers the frame; a file whose data
    /// ends or breaks earlier gives what it coded so far) and whether its chain of data sub-blocks ends (with the
    /// zero-length terminator) inside the file, which decoders need; null when no frame is found before the blocks
    /// end or stop making sense.
    /// </summary>
    public static (int Width, int Height, long Pixels, bool Terminated)? FirstFrame(ReadOnlySpan<byte> gif)
    {
        if (gif.Length < 13) return null;
        int pos = 13;
        if ((gif[10] & 0x80) != 0) pos += 3 << ((gif[10] & 7) + 1); // global colour table
        while (pos < gif.Length)
        {
            byte block = gif[pos];
            if (block == 0x21) // extension: label, then sub-blocks
            {
                pos = SkipSubBlocks(gif, pos + 2);
                continue;
            }
            if (block != 0x2C || pos + 10 > gif.Length) return null; // trailer or garbage before any frame
            int width = gif[pos + 5] | gif[pos + 6] << 8, height = gif[pos + 7] | gif[pos + 8] << 8;
            byte flags = gif[pos + 9];
            pos += 10;
            if ((flags & 0x80) != 0) pos += 3 << ((flags & 7) + 1); // local colour table
            if (pos >= gif.Length) return (width, height, 0, false);
            int minCodeSize = gif[pos];
            bool terminated = SkipSubBlocks(gif, pos + 1) <= gif.Length;
            return (width, height, CountCodedPixels(gif, pos + 1, minCodeSize, (long)width * height), terminated);
        }
        return null;
    }

    /// <summary>The position after the terminator of the sub-blocks starting at <paramref name="pos"/>; past the end when it is missing.</summary>
    static int SkipSubBlocks(ReadOnlySpan<byte> gif, int pos)
    {
        while (pos < gif.Length && gif[pos] != 0) pos += gif[pos] + 1;
        return pos + 1;
    }

    static long CountCodedPixels(ReadOnlySpan<byte> gif, int pos, int minCodeSize, long enough)
    {
        if (minCodeSize is < 1 or > 11) return 0;
        int clear = 1 << minCodeSize, end = clear + 1;
        Span<int> length = stackalloc int[4096];
        int next = end + 1, width = minCodeSize + 1, previous = -1;
        long pixels = 0;
        int bitBuffer = 0, bits = 0;
        int blockLeft = 0;
        while (pixels < enough)
        {
            while (bits < width)
            {
                if (blockLeft == 0)
                {
                    if (pos >= gif.Length || gif[pos] == 0) return pixels; // data ends
                    blockLeft = gif[pos++];
                }
                if (pos >= gif.Length) return pixels;
                bitBuffer |= gif[pos++] << bits;
                bits += 8;
                blockLeft--;
            }
            int code = bitBuffer & ((1 << width) - 1);
            bitBuffer >>= width;
            bits -= width;
            if (code == clear)
            {
                next = end + 1;
                width = minCodeSize + 1;
                previous = -1;
                continue;
            }
            if (code == end) return pixels;
            int n;
            if (code < clear) n = 1;
            else if (code < next && code > end) n = length[code];
            else if (code == next && previous >= 0) n = LengthOf(previous, length, clear) + 1; // the KwKwK case
            else return pixels; // a code not in the table: corrupt
            if (previous >= 0 && next < 4096)
            {
                length[next] = LengthOf(previous, length, clear) + 1;
                next++;
                if (next == 1 << width && width < 12) width++;
            }
            pixels += n;
            previous = code;
        }
        return pixels;
    }

    static int LengthOf(int code, ReadOnlySpan<int> length, int clear) => code < clear ? 1 : length[code];
}
