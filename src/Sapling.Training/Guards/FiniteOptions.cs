using System.Reflection;

namespace Sapling.Training.Guards;

/// <summary>
/// Refuses option records holding NaN or infinity in a number: "lr: nan" parses, and every comparison with it is
/// false, so range checks alone let it through to a run that diverges at its first step.
/// </summary>
public static class FiniteOptions
{
    /// <param name="name">How messages name an option (its property name by default, a config key when the caller knows it).</param>
    public static void Check(object options, Func<string, string>? name = null)
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
                throw new ArgumentException($"{name?.Invoke(property.Name) ?? property.Name} must be a finite number, got {v}");
        }
    }
}
