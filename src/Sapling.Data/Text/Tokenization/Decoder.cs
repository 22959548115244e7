using System.Text;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// A tokenizer.json decoder: rewrites the list of token strings (Hugging Face's <c>decode_chain</c>); the decoded text
/// is the concatenation of what the last step returns.
/// </summary>
internal abstract class Decoder
{
    public abstract List<string> DecodeChain(List<string> tokens);

    public static Decoder Read(JsonSection s) => s.Type switch
    {
        "Sequence" => new SequenceDecoder(s.Objects("decoders").Select(Read).ToArray()),
        "ByteLevel" => new ByteLevelDecoder(),
        "Metaspace" => new MetaspaceDecoder(MetaspacePreTokenizer.Read(s)),
        "WordPiece" => new WordPieceDecoder(s.OptionalString("prefix") ?? "##", s.Bool("cleanup", true)),
        "Replace" => new ReplaceDecoder(TextPattern.Read(s, "pattern"), s.String("content")),
        "ByteFallback" => new ByteFallbackDecoder(),
        "Fuse" => new FuseDecoder(),
        "Strip" => new StripDecoder(s.Character("content", " "), s.Int("start", 0), s.Int("stop", 0)),
        "BPEDecoder" => new BpeSuffixDecoder(s.OptionalString("suffix") ?? "</w>"),
        "CTC" => new CtcDecoder(s.OptionalString("pad_token") ?? "<pad>", s.OptionalString("word_delimiter_token") ?? "|", s.Bool("cleanup", true)),
        var other => throw s.Error("type", $"decoder '{other}' is not supported"),
    };

    /// <summary>WordPiece's and CTC's clean-up of spaces before punctuation and contractions.</summary>
    public static string Cleanup(string text) => text.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" do not", " don't").Replace(" 's", "'s")
        .Replace(" 've", "'ve").Replace(" 're", "'re");
}

internal sealed class SequenceDecoder(Decoder[] steps) : Decoder
{
    public Decoder[] Steps { get; } = steps;

    public override List<string> DecodeChain(List<string> tokens)
    {
        foreach (var step in Steps) tokens = step.DecodeChain(tokens);
        return tokens;
    }
}

/// <summary>Byte-level characters back to bytes, then UTF-8 (invalid sequences become U+FFFD).</summary>
internal sealed class ByteLevelDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => [Encoding.UTF8.GetString(Bytes(tokens))];

    /// <summary>The raw bytes: a token made only of byte-level characters gives those bytes, any other its UTF-8.</summary>
    public static byte[] Bytes(IEnumerable<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            int mark = bytes.Count;
            bool mapped = true;
            foreach (char c in token)
            {
                if (!ByteLevel.TryToByte(c, out byte b)) { mapped = false; break; }
                bytes.Add(b);
            }
            if (mapped) continue;
            bytes.RemoveRange(mark, bytes.Count - mark);
            bytes.AddRange(Encoding.UTF8.GetBytes(token));
        }
        return bytes.ToArray();
    }
}

internal sealed class MetaspaceDecoder(MetaspacePreTokenizer settings) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            var output = new StringBuilder(tokens[i].Length);
            foreach (char c in tokens[i])
            {
                if (c != settings.Replacement) output.Append(c);
                else if (i != 0 || settings.Scheme == MetaspacePreTokenizer.Prepend.Never) output.Append(' ');
            }
            result.Add(output.ToString());
        }
        return result;
    }
}

internal sealed class WordPieceDecoder(string prefix, bool cleanup) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (i != 0) token = token.StartsWith(prefix, StringComparison.Ordinal) ? token[prefix.Length..] : " " + token;
            result.Add(cleanup ? Cleanup(token) : token);
        }
        return result;
    }
}

internal sealed class ReplaceDecoder(TextPattern pattern, string content) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.ConvertAll(t => ReplaceNormalizer.Replace(t, pattern, content));
}

/// <summary>Runs of &lt;0xHH&gt; tokens back into text; a run that is not valid UTF-8 becomes one U+FFFD per byte.</summary>
internal sealed class ByteFallbackDecoder : Decoder
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        void Flush()
        {
            if (pending.Count == 0) return;
            try
            {
                result.Add(Strict.GetString(pending.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                for (int i = 0; i < pending.Count; i++) result.Add("\uFFFD");
            }
            pending.Clear();
        }
        foreach (var token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b))
            {
                pending.Add(b);
                continue;
            }
            Flush();
            result.Add(token);
        }
        Flush();
        return result;
    }
}

internal sealed class FuseDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of one character from every token.</summary>
internal sealed class StripDecoder(string content, int start, int stop) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.ConvertAll(token =>
    {
        var runes = token.EnumerateRunes().ToArray();
        var c = Rune.GetRuneAt(content, 0);
        int from = 0;
        for (int i = 0; i < Math.Min(start, runes.Length) && runes[i] == c; i++) from = i + 1;
        int to = runes.Length;
        for (int i = 0; i < stop && runes.Length - i - 1 >= 0 && runes[runes.Length - i - 1] == c; i++) to = runes.Length - i - 1;
        if (to < from) to = from;
        var output = new StringBuilder();
        for (int i = from; i < to; i++) output.Append(runes[i].ToString());
        return output.ToString();
    });
}

/// <summary>The classic BPE end-of-word suffix (&lt;/w&gt;) turned into a space, except on the last token.</summary>
internal sealed class BpeSuffixDecoder(string suffix) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++) result.Add(suffix.Length == 0 ? tokens[i] : tokens[i].Replace(suffix, i == tokens.Count - 1 ? "" : " "));
        return result;
    }
}

/// <summary>Connectionist temporal classification output: repeats collapsed, padding dropped, the word delimiter a space.</summary>
internal sealed class CtcDecoder(string pad, string delimiter, bool cleanup) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (i > 0 && tokens[i] == tokens[i - 1]) continue;
            var text = pad.Length == 0 ? tokens[i] : tokens[i].Replace(pad, "");
            if (cleanup) text = Cleanup(text).Replace(delimiter, " ");
            if (text.Length > 0) result.Add(text);
        }
        return result;
    }
}
