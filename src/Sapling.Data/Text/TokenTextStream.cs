using System.Text;

namespace Sapling.Data.Text;

/// <summary>
/// Turns ids arriving one at a time into text as soon as it is whole: a byte-level token can end in the middle of a
/// UTF-8 character (a Chinese character or an emoji spans several tokens), so the bytes of an unfinished character
/// wait for the next token instead of printing as U+FFFD.
/// </summary>
public sealed class TokenTextStream
{
    private readonly ITokenizer tokenizer;
    private readonly bool skipSpecial;
    private readonly Decoder decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] chars = new char[64];

    /// <summary>
    /// Creates a stream over <paramref name="tokenizer"/>'s ids; with <paramref name="skipSpecial"/> (the default),
    /// special tokens print nothing.
    /// </summary>
    public TokenTextStream(ITokenizer tokenizer, bool skipSpecial = true)
    {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
    }

    /// <summary>The text completed by this id (empty while a character is still unfinished).</summary>
    public string Push(int id) => Convert(tokenizer.DecodeBytes([id], skipSpecial), flush: false);

    /// <summary>Whatever is left at the end of the stream; bytes of a character that never finished become U+FFFD.</summary>
    public string Flush() => Convert([], flush: true);

    private string Convert(byte[] bytes, bool flush)
    {
        int needed = decoder.GetCharCount(bytes, 0, bytes.Length, flush: false) + 4;
        if (chars.Length < needed) chars = new char[Math.Max(needed, chars.Length * 2)];
        int count = decoder.GetChars(bytes, 0, bytes.Length, chars, 0, flush);
        return new string(chars, 0, count);
    }
}
