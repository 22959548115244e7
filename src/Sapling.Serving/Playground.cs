using Microsoft.AspNetCore.Http;

namespace Sapling.Serving;

/// <summary>The web playground: one self-contained page (no external scripts) that talks to the API it is served by.</summary>
public static class Playground
{
    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = typeof(Playground).Assembly.GetManifestResourceStream("Sapling.Serving.Playground.index.html")
            ?? throw new InvalidOperationException("the playground page is missing from the assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>Writes the playground page (embedded in this assembly) as the HTML response.</summary>
    public static Task Write(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(Page.Value, context.RequestAborted);
    }
}
