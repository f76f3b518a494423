using System.Buffers.Binary;
using System.Text;
using SkiaSharp;
using Vitmix.Cli;
using Vitmix.Data;
using Vitmix.Model.Checkpoints;
using Vitmix.Tests.Data;

namespace Vitmix.Tests.Hostile;

/// <summary>
/// Bounded mutation fuzzing of the readers of untrusted files: the image decoder (PNG, JPEG baseline and progressive,
/// BMP, GIF, WebP lossless and lossy, PGM/PPM, 16-bit and interlaced PNG), the .npy reader and the safetensors
/// reader. Valid seed files are mutated (bit flips, inserted and deleted bytes, truncation, header bytes rewritten,
/// width/height fields inflated) and each result must either load or throw an error that <see cref="CliErrors.IsExpected"/>
/// accepts, and must not allocate more than <see cref="AllocationAllowance"/> (measured with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/>, managed memory only).
/// The seed of the generator is fixed and so is the count in CI; set VITMIX_FUZZ_ITERATIONS (cases per seed file)
/// and VITMIX_FUZZ_SEED to search further. A failing case is written to a temp folder named in the failure.
/// </summary>
public class FuzzTests
{
    const int DefaultIterations = 400;
    const long MiB = 1 << 20;

    static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("VITMIX_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : DefaultIterations;
    static int BaseSeed => int.TryParse(Environment.GetEnvironmentVariable("VITMIX_FUZZ_SEED"), out int s) ? s : 20261202;

    /// <summary>
    /// A refused input may cost 64 MiB; a loaded one 64 MiB more than its result needs at 16 bytes per pixel or
    /// element (the RGBA decode buffer and the RGB image; doubles and floats of an array). An image that really is
    /// large (a GIF canvas around a small frame) is entitled to its buffers; a truncated one is not.
    /// </summary>
    static long AllocationAllowance(long loadedElements) => 64 * MiB + 16 * loadedElements;

    static readonly string Fixtures = Path.Combine(GoldenData.RepositoryRoot, "tests", "Vitmix.Tests", "Data", "Fixtures");

    /// <summary>A valid file, how to load it (returning the pixels or elements loaded), and where its size fields are.</summary>
    sealed record Seed(string Name, Func<byte[]> Make, Func<byte[], string, long> Load, Func<byte[], Random, byte[]?> Inflate);

    static readonly Dictionary<string, Seed> Seeds = BuildSeeds().ToDictionary(s => s.Name);

    public static TheoryData<string> SeedNames() => new(Seeds.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(SeedNames))]
    public void MutatedFilesLoadOrFailWithAnExpectedErrorWithinTheAllocationBound(string seedName)
    {
        var seed = Seeds[seedName];
        byte[] original = seed.Make();
        // The seed itself must load, or the mutations would test nothing but the first check.
        seed.Load(original, seedName);

        var failures = new List<string>();
        string current = "";
        int hash = (int)PngCrc.Compute(Encoding.UTF8.GetBytes(seedName)); // stable across runs, unlike string.GetHashCode
        var rng = new Random(BaseSeed ^ hash);
        // On a thread of its own so that a hang fails the test (naming the case) instead of stalling the run.
        Exception? harness = null;
        var worker = new Thread(() =>
        {
            try { Run(); }
            catch (Exception e) { harness = e; }
        }, maxStackSize: 16 * (int)MiB);
        worker.Start();
        if (!worker.Join(TimeSpan.FromMinutes(10))) Assert.Fail($"no result after 10 minutes (a hang?) at {current}");
        if (harness != null) throw new InvalidOperationException($"fuzz harness failed at {current}", harness);
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        void Run()
        {
            for (int i = 0; i < Iterations && failures.Count < 5; i++)
            {
                var (mutated, how) = Mutate(original, seed, rng);
                current = $"{seedName} case {i}: {how}";
                long before = GC.GetAllocatedBytesForCurrentThread();
                long loaded = 0;
                Exception? error = null;
                try { loaded = seed.Load(mutated, $"fuzz-{i}"); }
                catch (Exception e) { error = e; }
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                string? problem = error != null && !CliErrors.IsExpected(error)
                    ? $"unexpected {error.GetType().Name}: {error.Message}"
                    : allocated > AllocationAllowance(loaded)
                        ? $"allocated {allocated / MiB} MiB ({(error == null ? $"loaded {loaded}" : $"then refused: {error.Message}")})"
                        : null;
                if (problem != null) failures.Add($"{current}: {problem} [input: {Keep(mutated, seedName, i)}]");
            }
        }
    }

    public static TheoryData<string> Regressions() =>
        new(Directory.EnumerateFiles(Path.Combine(Fixtures, "fuzz", "regressions")).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));

    /// <summary>
    /// Inputs this fuzzer found (Data/Fixtures/fuzz/regressions): each is refused with an expected error within the
    /// allocation bound, whatever seed the run above uses.
    /// </summary>
    [Theory]
    [MemberData(nameof(Regressions))]
    public void InputsTheFuzzerFoundStayRefused(string name)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Fixtures, "fuzz", "regressions", name));
        Func<byte[], string, long> load = Path.GetExtension(name) == ".safetensors" ? LoadSafeTensors
            : (b, source) => { var img = ImageLoader.DecodeRgb(b, source); return (long)img.Width * img.Height; };
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Record.Exception(() => load(bytes, name));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.NotNull(e);
        Assert.True(CliErrors.IsExpected(e), $"{e.GetType().Name}: {e.Message}");
        Assert.True(allocated < AllocationAllowance(0), $"allocated {allocated / MiB} MiB");
    }

    static string Keep(byte[] input, string seed, int i)
    {
        string dir = Path.Combine(Path.GetTempPath(), "vitmix-fuzz-failures");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"{seed}-{BaseSeed}-{i}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }

    // ---- mutations ----

    static readonly long[] Interesting = [0, 1, 2, 255, 256, 4096, 32767, 32768, 65535, 65536, 1 << 20, int.MaxValue, 0x80000000L, 0xFFFFFFFFL];

    static (byte[] Bytes, string How) Mutate(byte[] original, Seed seed, Random rng)
    {
        var bytes = (byte[])original.Clone();
        var how = new List<string>();
        int count = rng.Next(4) == 0 ? rng.Next(2, 4) : 1; // mostly one mutation, sometimes a few stacked
        for (int m = 0; m < count; m++)
        {
            switch (rng.Next(6))
            {
                case 0:
                    int flips = 1 + rng.Next(8);
                    for (int f = 0; f < flips && bytes.Length > 0; f++) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                    how.Add($"{flips} bit flips");
                    break;
                case 1:
                {
                    int at = rng.Next(bytes.Length + 1), n = 1 + rng.Next(16);
                    var extra = new byte[n];
                    rng.NextBytes(extra);
                    bytes = [.. bytes.AsSpan(0, at), .. extra, .. bytes.AsSpan(at)];
                    how.Add($"{n} bytes inserted at {at}");
                    break;
                }
                case 2:
                {
                    if (bytes.Length == 0) break;
                    int at = rng.Next(bytes.Length), n = Math.Min(1 + rng.Next(16), bytes.Length - at);
                    bytes = [.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + n)];
                    how.Add($"{n} bytes deleted at {at}");
                    break;
                }
                case 3:
                {
                    int keep = rng.Next(bytes.Length + 1);
                    bytes = bytes[..keep];
                    how.Add($"truncated to {keep}");
                    break;
                }
                case 4:
                {
                    int n = 1 + rng.Next(4);
                    for (int k = 0; k < n && bytes.Length > 0; k++)
                        bytes[rng.Next(Math.Min(bytes.Length, 64))] = (byte)(rng.Next(3) switch { 0 => 0, 1 => 0xFF, _ => rng.Next(256) });
                    how.Add($"{n} header bytes rewritten");
                    break;
                }
                default:
                    byte[]? inflated;
                    // A field finder may not find its field in bytes an earlier mutation mangled: then it is skipped.
                    try { inflated = seed.Inflate(bytes, rng); }
                    catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or IndexOutOfRangeException) { inflated = null; }
                    if (inflated != null)
                    {
                        bytes = inflated;
                        how.Add("size fields rewritten");
                    }
                    break;
            }
        }
        return (bytes, how.Count == 0 ? "unchanged" : string.Join(", ", how));
    }

    /// <summary>A new value for a size field: a multiple of the old one or one of the interesting values, masked to the field.</summary>
    static long NewSize(long old, Random rng, long mask) =>
        (rng.Next(2) == 0 ? old * (1L << rng.Next(1, 13)) : Interesting[rng.Next(Interesting.Length)]) & mask;

    // ---- seeds ----

    static IEnumerable<Seed> BuildSeeds()
    {
        var noise = new byte[16 * 12 * 3];
        new Random(5).NextBytes(noise);
        Func<byte[], string, long> image = (b, name) => { var img = ImageLoader.DecodeRgb(b, name); return (long)img.Width * img.Height; };

        yield return new("png-rgb", () => ImageFixtures.Encode(ImageFixtures.ToRgba(noise), 16, 12, SKEncodedImageFormat.Png), image, InflatePng);
        foreach (string f in new[] { "grey16.png", "grey16_adam7.png", "rgba16.png", "palette4_adam7.png" })
            yield return new($"png-{Path.GetFileNameWithoutExtension(f)}", () => File.ReadAllBytes(Path.Combine(Fixtures, "decoding", f)), image, InflatePng);
        yield return new("jpeg-baseline", () => ImageFixtures.Encode(ImageFixtures.ToRgba(noise), 16, 12, SKEncodedImageFormat.Jpeg, 90), image, InflateJpeg);
        yield return new("jpeg-progressive", () => File.ReadAllBytes(Path.Combine(Fixtures, "fuzz", "seed_progressive.jpg")), image, InflateJpeg);
        yield return new("bmp", () => ImageFixtures.Bmp(noise, 16, 12), image, InflateBmp);
        yield return new("gif", () => File.ReadAllBytes(Path.Combine(Fixtures, "fuzz", "seed.gif")), image, InflateGif);
        yield return new("webp-lossless", () => ImageFixtures.Encode(ImageFixtures.ToRgba(noise), 16, 12, SKEncodedImageFormat.Webp), image, InflateWebp);
        yield return new("webp-lossy", () => LossyWebp(noise, 16, 12), image, InflateWebp);
        foreach (string f in new[] { "ppm_max65535.ppm", "pgm_max255.pgm" })
            yield return new(Path.GetFileNameWithoutExtension(f).Replace('_', '-'), () => File.ReadAllBytes(Path.Combine(Fixtures, "decoding", f)), image, InflateNetpbm);
        yield return new("npy-f4", () => NpyBytes("<f4", [1, 3, 4, 4], 4), (b, name) => Npy.Parse(b, name).Count, InflateNpy);
        yield return new("npy-u1", () => NpyBytes("|u1", [5, 7], 1), (b, name) => Npy.Parse(b, name).Count, InflateNpy);
        yield return new("safetensors", SafeTensorsBytes, LoadSafeTensors, InflateSafeTensors);
    }

    static byte[] LossyWebp(byte[] rgb, int w, int h)
    {
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(ImageFixtures.ToRgba(rgb), 0, bitmap.GetPixels(), w * h * 4);
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, 80));
        return data?.ToArray() ?? throw new InvalidOperationException("SkiaSharp could not encode the WebP seed");
    }

    static byte[] NpyBytes(string dtype, int[] shape, int itemSize)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        string dict = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}), }}";
        string header = dict.PadRight(64 - 10 - 1) + "\n";
        var payload = new byte[count * itemSize];
        new Random(9).NextBytes(payload);
        if (dtype == "<f4")
            for (int i = 0; i < count; i++) BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(4 * i), i * 0.25f - 3);
        return [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. Encoding.Latin1.GetBytes(header), .. payload];
    }

    static byte[] SafeTensorsBytes()
    {
        string header = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},"c":{"dtype":"BF16","shape":[2,2],"data_offsets":[32,40]}}""";
        var data = new byte[40];
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), i - 2.5f);
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(24 + 2 * i), (ushort)(0x3C00 + i));
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    static readonly string SafeTensorsDir = Directory.CreateTempSubdirectory("vitmix-fuzz-st-").FullName;

    static long LoadSafeTensors(byte[] bytes, string name)
    {
        string path = Path.Combine(SafeTensorsDir, name + ".safetensors");
        File.WriteAllBytes(path, bytes);
        try
        {
            using var file = SafeTensorsFile.Open(path);
            long elements = 0;
            foreach (var t in file.Tensors)
                if (t.Dtype.IsFloatWeight()) elements += file.ReadFloats(t.Name).LongLength;
            return elements;
        }
        finally { File.Delete(path); }
    }


    // ---- size fields per format ----

    static byte[]? InflatePng(byte[] b, Random rng)
    {
        if (b.Length < 33 || !b.AsSpan(12, 4).SequenceEqual("IHDR"u8)) return null;
        b = (byte[])b.Clone();
        int field = 16 + 4 * rng.Next(2);
        if (rng.Next(2) == 0)
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(field), (uint)NewSize(BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(field)), rng, 0xFFFFFFFF));
        else
            for (int f = 16; f <= 20; f += 4) // both sides
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(f), (uint)NewSize(BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(f)), rng, 0xFFFFFFFF));
        // A correct CRC, so the decoder cannot refuse the header for its checksum alone.
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(29), PngCrc.Compute(b.AsSpan(12, 17)));
        return b;
    }

    static byte[]? InflateBmp(byte[] b, Random rng)
    {
        if (b.Length < 26) return null;
        b = (byte[])b.Clone();
        foreach (int f in rng.Next(2) == 0 ? new[] { 18 + 4 * rng.Next(2) } : [18, 22])
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(f), (int)NewSize(BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(f)), rng, 0xFFFFFFFF));
        return b;
    }

    static byte[]? InflateGif(byte[] b, Random rng)
    {
        if (b.Length < 13) return null;
        b = (byte[])b.Clone();
        var fields = new List<int> { 6, 8 }; // logical screen
        int gct = (b[10] & 0x80) != 0 ? 3 << ((b[10] & 7) + 1) : 0;
        for (int p = 13 + gct; p < b.Length - 9; p++)
            if (b[p] == 0x2C) { fields.Add(p + 5); fields.Add(p + 7); break; } // first image descriptor
        foreach (int f in fields.Where(_ => rng.Next(2) == 0).DefaultIfEmpty(fields[rng.Next(fields.Count)]))
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(f), (ushort)NewSize(BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(f)), rng, 0xFFFF));
        return b;
    }

    static byte[]? InflateJpeg(byte[] b, Random rng)
    {
        for (int p = 2; p + 9 < b.Length; p++)
        {
            if (b[p] != 0xFF || b[p + 1] is not (0xC0 or 0xC1 or 0xC2)) continue;
            b = (byte[])b.Clone();
            foreach (int f in rng.Next(2) == 0 ? new[] { p + 5 + 2 * rng.Next(2) } : [p + 5, p + 7])
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(f), (ushort)NewSize(BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(f)), rng, 0xFFFF));
            return b;
        }
        return null;
    }

    static byte[]? InflateWebp(byte[] b, Random rng)
    {
        if (b.Length < 30) return null;
        b = (byte[])b.Clone();
        if (b.AsSpan(12, 4).SequenceEqual("VP8L"u8))
        {
            // 14 bits width − 1, 14 bits height − 1 after the 0x2F signature.
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(21));
            uint w = (uint)NewSize((bits & 0x3FFF) + 1, rng, 0x3FFF), h = (uint)NewSize(((bits >> 14) & 0x3FFF) + 1, rng, 0x3FFF);
            bits = (bits & 0xF0000000) | (rng.Next(2) == 0 ? w : bits & 0x3FFF) | ((rng.Next(2) == 0 ? h : (bits >> 14) & 0x3FFF) << 14);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(21), bits);
        }
        else if (b.AsSpan(12, 4).SequenceEqual("VP8 "u8))
        {
            // After the 3-byte frame tag and the 9d 01 2a start code: 14-bit width and height (2 scale bits each).
            foreach (int f in new[] { 26, 28 }.Where(_ => rng.Next(2) == 0).DefaultIfEmpty(26 + 2 * rng.Next(2)))
            {
                int old = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(f));
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(f), (ushort)((old & 0xC000) | (int)NewSize(old & 0x3FFF, rng, 0x3FFF)));
            }
        }
        else return null;
        return b;
    }

    static byte[]? InflateNetpbm(byte[] b, Random rng)
    {
        // Header: P5/P6, a comment line, then "W H\nMAXVAL\n" (make_fixtures.py).
        string text = Encoding.Latin1.GetString(b, 0, Math.Min(b.Length, 40));
        var m = System.Text.RegularExpressions.Regex.Match(text, @"\n(\d+) (\d+)\n");
        if (!m.Success) return null;
        long w = long.Parse(m.Groups[1].Value), h = long.Parse(m.Groups[2].Value);
        string dims = rng.Next(3) switch
        {
            0 => $"{NewSize(w, rng, 0xFFFFFFFF)} {h}",
            1 => $"{w} {NewSize(h, rng, 0xFFFFFFFF)}",
            _ => $"{NewSize(w, rng, 0xFFFFFFFF)} {NewSize(h, rng, 0xFFFFFFFF)}",
        };
        return [.. b.AsSpan(0, m.Index + 1), .. Encoding.Latin1.GetBytes(dims), .. b.AsSpan(m.Index + m.Length - 1)];
    }

    static byte[]? InflateNpy(byte[] b, Random rng)
    {
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8));
        string header = Encoding.Latin1.GetString(b, 10, headerLength);
        var m = System.Text.RegularExpressions.Regex.Match(header, @"'shape': \(([^)]*)\)");
        if (!m.Success) return null;
        var dims = m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        int which = rng.Next(dims.Length + 1);
        for (int i = 0; i < dims.Length; i++)
            if (which == dims.Length || which == i) dims[i] = rng.Next(4) == 0 ? long.MaxValue / 3 : NewSize(dims[i], rng, long.MaxValue);
        string shape = string.Join(", ", dims);
        string dict = header[..m.Groups[1].Index] + shape + header[(m.Groups[1].Index + m.Groups[1].Length)..].TrimEnd();
        byte[] text = Encoding.Latin1.GetBytes(dict + "\n");
        var result = new byte[10 + text.Length + b.Length - 10 - headerLength];
        b.AsSpan(0, 8).CopyTo(result);
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)text.Length);
        text.CopyTo(result, 10);
        b.AsSpan(10 + headerLength).CopyTo(result.AsSpan(10 + text.Length));
        return result;
    }

    static byte[]? InflateSafeTensors(byte[] b, Random rng)
    {
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(b);
        if (n <= 0 || 8 + n > b.Length) return null;
        string header = Encoding.UTF8.GetString(b, 8, (int)n);
        var shapes = System.Text.RegularExpressions.Regex.Matches(header, @"""shape"":\[([^\]]*)\]");
        if (shapes.Count == 0) return null;
        var m = shapes[rng.Next(shapes.Count)];
        var dims = m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
        for (int i = 0; i < dims.Length; i++)
            if (rng.Next(2) == 0) dims[i] = rng.Next(4) == 0 ? long.MaxValue / 2 : NewSize(dims[i], rng, long.MaxValue);
        string changed = header[..m.Groups[1].Index] + string.Join(",", dims) + header[(m.Groups[1].Index + m.Groups[1].Length)..];
        if (rng.Next(2) == 0) // the data offsets too, so the byte count agrees with the shape
            changed = System.Text.RegularExpressions.Regex.Replace(changed, @"\d+\]\}", x => $"{NewSize(long.Parse(x.Value[..^2]), rng, long.MaxValue)}]}}");
        byte[] h = Encoding.UTF8.GetBytes(changed);
        var result = new byte[8 + h.Length + b.Length - 8 - n];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)h.Length);
        h.CopyTo(result, 8);
        b.AsSpan((int)(8 + n)).CopyTo(result.AsSpan(8 + h.Length));
        return result;
    }
}
