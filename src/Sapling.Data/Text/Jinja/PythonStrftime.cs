using System.Globalization;
using System.Text;

namespace Sapling.Data.Text.Jinja;

/// <summary>
/// Python's datetime.strftime for the codes chat templates use (Llama 3.1 writes "Today Date: {{ strftime_now('%d %b
/// %Y') }}"), in the C locale; glibc's "-" flag drops a numeric field's padding. Other codes are refused by name.
/// </summary>
internal static class PythonStrftime
{
    public static string Format(DateTime time, string format)
    {
        var sb = new StringBuilder(format.Length + 8);
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }
            if (i + 1 >= format.Length) throw new JinjaRenderException($"strftime_now: format '{format}' ends with a lone '%'");
            bool unpadded = format[i + 1] == '-';
            if (unpadded && i + 2 >= format.Length) throw new JinjaRenderException($"strftime_now: format '{format}' ends with '%-'");
            char code = format[unpadded ? i + 2 : i + 1];
            i += unpadded ? 2 : 1;
            string Number(int value, int width) => unpadded ? value.ToString(CultureInfo.InvariantCulture) : value.ToString(new string('0', width), CultureInfo.InvariantCulture);
            sb.Append(code switch
            {
                'a' => CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedDayName(time.DayOfWeek),
                'A' => CultureInfo.InvariantCulture.DateTimeFormat.GetDayName(time.DayOfWeek),
                'b' or 'h' => CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedMonthName(time.Month),
                'B' => CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(time.Month),
                'd' => Number(time.Day, 2),
                'm' => Number(time.Month, 2),
                'y' => Number(time.Year % 100, 2),
                'Y' => time.Year.ToString(CultureInfo.InvariantCulture),
                'H' => Number(time.Hour, 2),
                'I' => Number(time.Hour % 12 == 0 ? 12 : time.Hour % 12, 2),
                'M' => Number(time.Minute, 2),
                'S' => Number(time.Second, 2),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'j' => Number(time.DayOfYear, 3),
                'w' => ((int)time.DayOfWeek).ToString(CultureInfo.InvariantCulture),
                '%' => "%",
                _ => throw new JinjaRenderException($"strftime_now: the format code '%{code}' is not supported (known: a A b B d h H I j m M p S w y Y %)"),
            });
        }
        return sb.ToString();
    }
}
