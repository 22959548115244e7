namespace Sapling.IO;

/// <summary>
/// Writes a file so that readers only ever see the old contents or the complete new ones: the data goes to a
/// temporary file in the same folder (rename is only atomic within one file system), is flushed to the disk, and then
/// replaces the destination by rename. A crash, an exception or a full disk midway leaves the old file untouched.
/// </summary>
public static class AtomicFile
{
    private const int BufferSize = 1 << 20;

    /// <summary>
    /// Creates or replaces <paramref name="path"/> with <paramref name="text"/> as UTF-8 (no byte order mark).
    /// </summary>
    public static void WriteAllText(string path, string text) => Write(path, s => s.Write(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given.
    /// If <paramref name="write"/> throws, the temporary file is deleted and the exception propagates. Refuses a path
    /// whose folder does not exist.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' has no parent folder", nameof(path));
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"cannot write '{fullPath}': the folder '{folder}' does not exist");

        // Hidden and marked so a leftover from a killed process is recognisable and never mistaken for the real file.
        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                write(stream);
                // Without this the rename can reach the disk before the data does, and a power cut leaves an empty file.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // The original exception matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
