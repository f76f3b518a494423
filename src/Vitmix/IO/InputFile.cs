using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vitmix.IO;

/// <summary>
/// Reads a whole input file (an image, a .npy array) with a byte limit: the one reading path of every image and array
/// reader, so that no path a user (or a dataset folder) names can make Vitmix read without end.
/// </summary>
/// <remarks>
/// A regular file larger than the limit is refused from its size, before anything is read. A device or pipe has no
/// size (<c>/dev/zero</c>, <c>/dev/urandom</c>, a FIFO, <c>&lt;(cat a.png)</c>): it is read through the same bounded loop
/// and refused as soon as it passes the limit, and the caller's <c>checkStart</c> sees its first bytes first, so a
/// stream that starts like no image at all is refused after a few bytes. On Linux the file is opened non-blocking and
/// then switched back to blocking reads, so a FIFO without a writer reads as empty instead of hanging in open(2).
/// Every error is one line naming the file.
/// </remarks>
public static partial class InputFile
{
    /// <summary>How many leading bytes <c>checkStart</c> is shown (fewer when the file is shorter).</summary>
    public const int StartLength = 64;

    /// <summary>
    /// The bytes of <paramref name="path"/>. <paramref name="what"/> names the expected kind in errors ("an image
    /// file"). <paramref name="checkStart"/> gets the first <see cref="StartLength"/> bytes and returns a problem to
    /// refuse the file with (the message after "path: "), or null to read on.
    /// Errors: <see cref="FileNotFoundException"/>, <see cref="UnauthorizedAccessException"/>, or
    /// <see cref="InvalidDataException"/> / <see cref="IOException"/> naming the file.
    /// </summary>
    public static byte[] ReadAll(string path, string what, long maxBytes, Func<ReadOnlySpan<byte>, string?>? checkStart = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path}: is a folder, not {what}", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);

        using var handle = OpenRead(path);
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        long declared;
        // A pipe cannot say its length; a device can but says 0, as does a /proc file.
        try { declared = stream.CanSeek ? stream.Length : 0; }
        catch (IOException e) { throw new IOException($"{path}: cannot read: {OneLine(e.Message)}", e); }
        if (declared > maxBytes)
            throw new InvalidDataException($"{path}: the file is {declared} bytes, more than the limit of {maxBytes} for {what}");

        var reader = new BoundedReader(path, what, stream, checkStart);
        if (declared > 0)
        {
            // A regular file says its size: one buffer of exactly that size (it is what was checked against the
            // limit; should the file grow meanwhile, the bytes past its size when opened are not read).
            var exact = new byte[declared];
            long got = reader.Fill(exact, 0);
            reader.Finish(exact, got);
            if (got < exact.LongLength) Array.Resize(ref exact, (int)got);
            return exact;
        }

        // A device, pipe or /proc file says 0: read in doubling steps until it ends or passes the limit.
        var buffer = new byte[StartLength];
        long total = 0;
        while (true)
        {
            total = reader.Fill(buffer, total);
            if (total < buffer.LongLength) break; // ended
            if (total > maxBytes)
                throw new InvalidDataException(
                    $"{path}: more than {maxBytes} bytes, the limit for {what} (a device or pipe that does not end?); stopped reading");
            long grown = Math.Min(2 * buffer.LongLength, maxBytes + 1);
            if (grown > Array.MaxLength) throw new InvalidDataException($"{path}: too large for {what}; stopped reading");
            Array.Resize(ref buffer, (int)grown);
        }
        reader.Finish(buffer, total);
        Array.Resize(ref buffer, (int)total);
        return buffer;
    }

    /// <summary>Reads into buffers, showing the first <see cref="StartLength"/> bytes to the start check once.</summary>
    sealed class BoundedReader(string path, string what, Stream stream, Func<ReadOnlySpan<byte>, string?>? checkStart)
    {
        bool startChecked = checkStart == null;

        /// <summary>Fills <paramref name="buffer"/> from <paramref name="from"/> until it is full or the file ends; returns the bytes in it.</summary>
        public long Fill(byte[] buffer, long from)
        {
            while (from < buffer.LongLength)
            {
                int n;
                try { n = stream.Read(buffer, (int)from, (int)Math.Min(buffer.LongLength - from, 1 << 20)); }
                catch (IOException e) { throw new IOException($"{path}: cannot read {what}: {OneLine(e.Message)}", e); }
                catch (UnauthorizedAccessException e) { throw new UnauthorizedAccessException($"{path}: cannot read: {OneLine(e.Message)}", e); }
                if (n == 0) break;
                from += n;
                if (!startChecked && from >= StartLength) Check(buffer.AsSpan(0, StartLength));
            }
            return from;
        }

        /// <summary>At the end of the file: a file shorter than <see cref="StartLength"/> is checked now.</summary>
        public void Finish(byte[] buffer, long total)
        {
            if (!startChecked) Check(buffer.AsSpan(0, (int)total));
        }

        void Check(ReadOnlySpan<byte> start)
        {
            startChecked = true;
            if (checkStart!(start) is { } problem) throw new InvalidDataException($"{path}: {problem}");
        }
    }

    /// <summary>
    /// The lines of a text input file (labels.csv, a split list, a metadata table), read under <paramref name="maxBytes"/>
    /// through the same bounded path; UTF-8 with or without a byte-order mark.
    /// </summary>
    public static string[] ReadAllLines(string path, string what, long maxBytes)
    {
        byte[] bytes = ReadAll(path, what, maxBytes);
        var text = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetString(bytes);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        return text.ReplaceLineEndings("\n").Split('\n') is var lines && lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading without blocking on a FIFO that has no writer (see the remarks);
    /// for readers that read by offset themselves (safetensors). Errors name the file.
    /// </summary>
    public static SafeFileHandle OpenRead(string path)
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            // O_NONBLOCK only for open(2): a FIFO without a writer would block it forever. Reads are blocking again,
            // so a pipe with a writer is read to its end as usual.
            int fd = LinuxOpen(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) throw ErrnoException(path, Marshal.GetLastPInvokeError());
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            int flags = LinuxFcntl(fd, F_GETFL, 0);
            if (flags < 0 || LinuxFcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                handle.Dispose();
                throw ErrnoException(path, errno);
            }
            return handle;
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new IOException($"{path}: cannot open: {OneLine(e.Message)}", e);
        }
    }

    static Exception ErrnoException(string path, int errno) => errno switch
    {
        2 => new FileNotFoundException($"{path}: file not found", path),              // ENOENT
        13 or 1 => new UnauthorizedAccessException($"{path}: permission denied"),    // EACCES, EPERM
        21 => new FileNotFoundException($"{path}: is a folder, not a file", path),   // EISDIR
        _ => new IOException($"{path}: cannot open: {Marshal.GetPInvokeErrorMessage(errno)}"),
    };

    static string OneLine(string text) => text.ReplaceLineEndings(" ");

    // Linux's values on every architecture .NET runs on (x64, arm64, arm, riscv64, loongarch64).
    const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, F_GETFL = 3, F_SETFL = 4;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinuxOpen(string path, int flags);

    // fcntl is variadic; on Linux a third int argument is passed as a fixed one would be.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int LinuxFcntl(int fd, int cmd, int arg);
}
