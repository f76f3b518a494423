using Vitmix.IO;
using System.Globalization;
using System.Text;

namespace Vitmix.Data.Synthetic;

/// <summary>
/// Writes a benchmark in the generic folder layout: DIR/images/NAME.png (RGB), DIR/masks/NAME.png (0/255, labelled
/// object only), DIR/labels.csv ("name,class" with the class name), DIR/classes.txt (class names in index order, one
/// per line) and DIR/synthetic.json (the generator's parameters). Every file is written atomically; labels.csv comes
/// last, so a folder with a labels file holds every image it lists. A new (or empty) DIR is built as a hidden sibling
/// and renamed into place at the end, so an interrupted run leaves no half-written benchmark behind. A DIR that holds
/// only the lock of the command writing it (<see cref="FolderLock"/>) counts as empty: then the finished folder's
/// entries are moved into it one by one, labels.csv last.
/// </summary>
public static class SyntheticFolderWriter
{
    /// <summary>Writes images [0, count). <paramref name="imageWritten"/> is called (from any thread) after each image.</summary>
    public static void Write(SyntheticBenchmark benchmark, string directory, long count,
        int maxDegreeOfParallelism = -1, Action<long>? imageWritten = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(benchmark);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "synthetic image count must be positive");

        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        bool fresh = !File.Exists(full) && (!Directory.Exists(full) || Directory.EnumerateFileSystemEntries(full).All(IsLockFile));
        string parent = Path.GetDirectoryName(full) ?? full;
        // The hidden sibling carries this process's id, so one a killed run left behind is removed by the next run.
        if (fresh) StaleTemporaries.RemoveDead(parent);
        string work = fresh ? Path.Combine(parent, StaleTemporaries.NameFor(Path.GetFileName(full))) : directory;
        try
        {
            WriteInto(benchmark, work, count, maxDegreeOfParallelism, imageWritten, cancellationToken, shownAs: directory);
            if (!fresh) return;
            if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
                MoveEntriesInto(work, full); // the writer's lock is in it
            else
            {
                if (Directory.Exists(full)) Directory.Delete(full); // empty
                Directory.Move(work, full);
            }
        }
        catch (Exception e) when (fresh)
        {
            try { if (Directory.Exists(work)) Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            // A failed write (a full disk) names a file in the hidden work folder, which is gone now: name it as the
            // user will look for it, under DIR. Parallel.For wraps it in an AggregateException.
            var io = e as IOException ?? (e as AggregateException)?.Flatten().InnerExceptions.OfType<IOException>().FirstOrDefault();
            if (io != null && io.Message.Contains(work, StringComparison.Ordinal))
                throw new IOException(io.Message.Replace(work, directory.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal), io);
            throw;
        }
    }

    static bool IsLockFile(string entry) => Path.GetFileName(entry) is FolderLock.FileName or FolderLock.OwnerFileName
        || Path.GetFileName(entry).StartsWith("." + FolderLock.OwnerFileName + ".", StringComparison.Ordinal); // its record being written

    /// <summary>Moves everything from <paramref name="work"/> into <paramref name="target"/>, labels.csv last (it marks a complete folder), then removes <paramref name="work"/>.</summary>
    static void MoveEntriesInto(string work, string target)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(work).Order(StringComparer.Ordinal)
                     .OrderBy(e => Path.GetFileName(e) == "labels.csv").ToList())
        {
            string to = Path.Combine(target, Path.GetFileName(entry));
            if (Directory.Exists(entry)) Directory.Move(entry, to);
            else File.Move(entry, to);
        }
        Directory.Delete(work);
    }

    static void WriteInto(SyntheticBenchmark benchmark, string directory, long count, int maxDegreeOfParallelism,
        Action<long>? imageWritten, CancellationToken cancellationToken, string shownAs)
    {
        string images = Path.Combine(directory, "images"), masks = Path.Combine(directory, "masks");
        if (File.Exists(shownAs))
            throw new IOException($"cannot write the synthetic benchmark to '{shownAs}': it is a file, expected a directory");
        foreach (var dir in new[] { directory, images, masks })
        {
            if (File.Exists(dir))
                throw new IOException($"cannot write the synthetic benchmark to '{dir}': it is a file, expected a directory");
            try { Directory.CreateDirectory(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"cannot create the directory '{shownAs}' for the synthetic benchmark: {e.Message}", e);
            }
        }

        var classes = new int[count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.For(0L, count, options, i =>
        {
            var s = benchmark.Generate(i);
            AtomicFile.WriteAllBytes(Path.Combine(images, s.Name + ".png"), SyntheticPng.EncodeRgb(s.Image));
            AtomicFile.WriteAllBytes(Path.Combine(masks, s.Name + ".png"), SyntheticPng.EncodeMask(s.Mask, s.Image.Width, s.Image.Height));
            classes[i] = s.ClassIndex;
            imageWritten?.Invoke(i);
        });

        var names = benchmark.ClassNames;
        AtomicFile.WriteAllText(Path.Combine(directory, "classes.txt"), string.Concat(names.Select(n => n + "\n")));
        AtomicFile.WriteAllText(Path.Combine(directory, "synthetic.json"), string.Create(CultureInfo.InvariantCulture,
            $"{{\n  \"generator\": \"vitmix-synthetic\",\n  \"version\": 1,\n  \"size\": {benchmark.Size},\n  \"seed\": {benchmark.Seed},\n  \"count\": {count}\n}}\n"));
        var labels = new StringBuilder("name,class\n");
        for (long i = 0; i < count; i++)
            labels.Append(SyntheticBenchmark.SampleName(i)).Append(',').Append(names[classes[i]]).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(directory, "labels.csv"), labels.ToString());
    }
}
