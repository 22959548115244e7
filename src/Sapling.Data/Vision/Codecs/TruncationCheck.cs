using System.Buffers.Binary;

namespace Sapling.Data.Vision.Codecs;

/// <summary>
/// Refuses PNG and JPEG files cut short. Skia, like a browser, shows what arrived of a progressive JPEG or a PNG whose
/// end chunk is missing; a training set should not silently hold half an image. Walks the chunk or marker structure
/// only far enough to find the end: a structure it does not understand is left to the decoder to judge.
/// </summary>
internal static class TruncationCheck
{
    public static void Check(ReadOnlySpan<byte> bytes, string name, ImageFormat format)
    {
        string? problem = format switch
        {
            ImageFormat.Png => PngProblem(bytes),
            ImageFormat.Jpeg => JpegProblem(bytes),
            _ => null,
        };
        if (problem != null) throw ImageFormatException.For(name, format.ToString().ToUpperInvariant(), $"the file is truncated: {problem}");
    }

    private static string? PngProblem(ReadOnlySpan<byte> bytes)
    {
        long pos = 8;
        while (true)
        {
            if (pos + 8 > bytes.Length) return "it ends before the IEND chunk";
            long length = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice((int)pos, 4));
            var type = bytes.Slice((int)pos + 4, 4);
            if (pos + 12 + length > bytes.Length) return $"the {System.Text.Encoding.ASCII.GetString(type)} chunk ends early";
            if (type.SequenceEqual("IEND"u8)) return null;
            pos += 12 + length;
        }
    }

    private static string? JpegProblem(ReadOnlySpan<byte> bytes)
    {
        const string missingEnd = "the image data ends before the end-of-image marker";
        int pos = 2;
        while (true)
        {
            if (pos >= bytes.Length) return missingEnd;
            if (bytes[pos] != 0xFF) return null; // not a marker where one belongs: the decoder judges
            while (pos < bytes.Length && bytes[pos] == 0xFF) pos++; // fill bytes
            if (pos >= bytes.Length) return missingEnd;
            byte marker = bytes[pos++];
            if (marker == 0xD9) return null; // EOI
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) continue; // markers without a segment
            if (pos + 2 > bytes.Length) return missingEnd;
            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(pos, 2));
            if (length < 2) return null;
            pos += length;
            if (pos > bytes.Length) return missingEnd;
            if (marker != 0xDA) continue;
            // Entropy-coded data after a start-of-scan: 0xFF is stuffed as FF 00, restart markers sit inside it.
            while (true)
            {
                int ff = bytes[pos..].IndexOf((byte)0xFF);
                if (ff < 0 || pos + ff + 1 >= bytes.Length) return missingEnd;
                pos += ff;
                byte next = bytes[pos + 1];
                if (next == 0x00 || next is >= 0xD0 and <= 0xD7) { pos += 2; continue; }
                if (next == 0xFF) { pos++; continue; } // fill byte before a marker
                break;
            }
        }
    }
}
