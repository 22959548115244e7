using System.Globalization;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// A JSON number read the way Hugging Face's Rust library reads it (serde_json without its float_roundtrip option):
/// the decimal digits as a 64-bit integer, converted to a double and then multiplied or divided by a power of ten.
/// That is not always the correctly rounded value .NET's parser gives; for a number with 17 significant digits the
/// two can differ in the last bit. Unigram scores are summed along competing splits, so a last-bit difference decides
/// exact ties (00|0000 against 0000|00) the other way; reading scores as the Rust library does keeps the ids identical.
/// </summary>
internal static class RustJsonNumber
{
    private static readonly double[] PowersOfTen = Enumerable.Range(0, 309).Select(i => double.Parse($"1e{i}", CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The value, or false when the text is not a JSON number serde_json would accept as finite.</summary>
    public static bool TryParse(string text, out double value)
    {
        value = 0;
        int i = 0;
        bool negative = i < text.Length && text[i] == '-';
        if (negative) i++;
        if (i >= text.Length || !char.IsAsciiDigit(text[i])) return false;
        ulong significand = 0;
        int exponent = 0;
        bool overflowed = false;
        // Integer digits, then fraction digits; digits past the 64-bit range only move the exponent.
        for (; i < text.Length && char.IsAsciiDigit(text[i]); i++) Accumulate(text[i], ref significand, ref exponent, ref overflowed, fraction: false);
        if (i < text.Length && text[i] == '.')
        {
            i++;
            if (i >= text.Length || !char.IsAsciiDigit(text[i])) return false;
            for (; i < text.Length && char.IsAsciiDigit(text[i]); i++) Accumulate(text[i], ref significand, ref exponent, ref overflowed, fraction: true);
        }
        if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
        {
            i++;
            bool negativeExponent = i < text.Length && text[i] == '-';
            if (i < text.Length && (text[i] == '+' || text[i] == '-')) i++;
            if (i >= text.Length || !char.IsAsciiDigit(text[i])) return false;
            int e = 0;
            for (; i < text.Length && char.IsAsciiDigit(text[i]); i++) e = Math.Min(e * 10 + (text[i] - '0'), 100_000);
            exponent += negativeExponent ? -e : e;
        }
        if (i != text.Length) return false;

        double f = significand;
        while (true)
        {
            int magnitude = Math.Abs(exponent);
            if (magnitude < PowersOfTen.Length)
            {
                f = exponent >= 0 ? f * PowersOfTen[magnitude] : f / PowersOfTen[magnitude];
                break;
            }
            if (f == 0) break;
            if (exponent >= 0) return false;
            f /= 1e308;
            exponent += 308;
        }
        if (double.IsInfinity(f)) return false;
        value = negative ? -f : f;
        return true;
    }

    private static void Accumulate(char digit, ref ulong significand, ref int exponent, ref bool overflowed, bool fraction)
    {
        int d = digit - '0';
        if (!overflowed && significand <= (ulong.MaxValue - (ulong)d) / 10)
        {
            significand = significand * 10 + (ulong)d;
            if (fraction) exponent--;
            return;
        }
        overflowed = true;
        if (!fraction) exponent++; // an integer digit past the range scales the value; a fraction digit is dropped
    }
}
