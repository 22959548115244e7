using System.Reflection;

namespace Sapling.Training.Guards;

/// <summary>
/// Refuses option records holding NaN or infinity in a number: "lr: nan" parses, and every comparison with it is
/// false, so range checks alone let it through to a run that diverges at its first step.
/// </summary>
public static class FiniteOptions
{
    /// <summary>Messages name the option through <see cref="OptionNames"/>.</summary>
    public static void Check(object options)
    {
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            double? value = property.GetValue(options) switch
            {
                double d => d,
                float f => f,
                _ => null,
            };
            if (value is double v && !double.IsFinite(v))
                throw new ArgumentException($"{OptionNames.Of(property.Name)} must be a finite number, got {v}");
        }
    }
}
