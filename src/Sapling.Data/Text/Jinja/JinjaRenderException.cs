namespace Sapling.Data.Text.Jinja;

/// <summary>An error while rendering: the template's raise_exception, an undefined value used where Jinja fails, a type error.</summary>
public sealed class JinjaRenderException(string message) : Exception(message);
