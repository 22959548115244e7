using System.Text;

namespace Sapling.Data.Text.Jinja;

/// <summary>Python's arithmetic: int stays int except under /, bool counts as int, + joins strings and lists, * repeats them.</summary>
internal static class JinjaArithmetic
{
    public static object? Apply(string op, object? left, object? right)
    {
        if (left is JinjaUndefined u) throw u.Error();
        if (right is JinjaUndefined v) throw v.Error();
        if (JinjaValues.IsNumber(left) && JinjaValues.IsNumber(right)) return Numbers(op, left, right);
        switch (op)
        {
            case "+" when left is string a && right is string b: return a + b;
            case "+" when left is List<object?> a && right is List<object?> b: return new List<object?>([.. a, .. b]);
            case "*" when left is string s && IsInteger(right): return Repeat(s, Integer(right));
            case "*" when right is string s && IsInteger(left): return Repeat(s, Integer(left));
            case "*" when left is List<object?> l && IsInteger(right): return RepeatList(l, Integer(right));
            case "*" when right is List<object?> l && IsInteger(left): return RepeatList(l, Integer(left));
            case "%" when left is string:
                throw new JinjaRenderException("printf-style string formatting ('...' % values) is not supported by Sapling's Jinja subset");
        }
        throw new JinjaRenderException($"unsupported operand type(s) for {op}: '{JinjaValues.TypeName(left)}' and '{JinjaValues.TypeName(right)}'");
    }

    private static bool IsInteger(object? value) => value is long or bool;

    private static long Integer(object? value) => value is bool b ? (b ? 1 : 0) : (long)value!;

    private static string Repeat(string s, long times)
    {
        var sb = new StringBuilder();
        for (long i = 0; i < times; i++) sb.Append(s);
        return sb.ToString();
    }

    private static List<object?> RepeatList(List<object?> items, long times)
    {
        var result = new List<object?>();
        for (long i = 0; i < times; i++) result.AddRange(items);
        return result;
    }

    // Python's integers do not overflow; 64-bit ones that would are refused rather than wrapped.
    private static object? Numbers(string op, object? left, object? right)
    {
        try
        {
            return CheckedNumbers(op, left, right);
        }
        catch (OverflowException)
        {
            throw new JinjaRenderException($"integer overflow in '{op}': values beyond 64 bits are not supported by Sapling's Jinja subset");
        }
    }

    private static object? CheckedNumbers(string op, object? left, object? right)
    {
        if (IsInteger(left) && IsInteger(right))
        {
            long a = Integer(left), b = Integer(right);
            switch (op)
            {
                case "+": return checked(a + b);
                case "-": return checked(a - b);
                case "*": return checked(a * b);
                case "/": return b == 0 ? throw new JinjaRenderException("division by zero") : (double)a / b;
                case "//": return b == 0 ? throw new JinjaRenderException("integer division or modulo by zero") : FloorDiv(a, b);
                case "%": return b == 0 ? throw new JinjaRenderException("integer division or modulo by zero") : a - b * FloorDiv(a, b);
                case "**": return b >= 0 ? Power(a, b) : (object)Math.Pow(a, b);
            }
        }
        double x = JinjaValues.ToDouble(left), y = JinjaValues.ToDouble(right);
        switch (op)
        {
            case "+": return x + y;
            case "-": return x - y;
            case "*": return x * y;
            case "/": return y == 0 ? throw new JinjaRenderException("float division by zero") : x / y;
            case "//": return y == 0 ? throw new JinjaRenderException("float floor division by zero") : Math.Floor(x / y);
            // Python's modulo takes the divisor's sign.
            case "%":
                if (y == 0) throw new JinjaRenderException("float modulo");
                double m = x % y;
                return m != 0 && (m < 0) != (y < 0) ? m + y : m;
            case "**": return Math.Pow(x, y);
        }
        throw new InvalidOperationException(op);
    }

    private static long FloorDiv(long a, long b)
    {
        long q = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q;
    }

    private static long Power(long a, long b)
    {
        long result = 1;
        for (long i = 0; i < b; i++) result = checked(result * a);
        return result;
    }
}
