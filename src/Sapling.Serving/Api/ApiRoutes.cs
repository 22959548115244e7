namespace Sapling.Serving.Api;

/// <summary>The server's fixed routes and their methods: the metrics' route labels and the 405 answers come from here.</summary>
public static class ApiRoutes
{
    /// <summary>The HTTP method of each fixed route, by path.</summary>
    public static readonly IReadOnlyDictionary<string, string> Methods = new Dictionary<string, string>
    {
        ["/"] = "GET",
        ["/health"] = "GET",
        ["/metrics"] = "GET",
        ["/v1/models"] = "GET",
        ["/v1/completions"] = "POST",
        ["/v1/chat/completions"] = "POST",
        ["/v1/classify"] = "POST",
        ["/v1/embeddings"] = "POST",
        ["/v1/translate"] = "POST",
    };
}
