using System.Text.Json.Nodes;
using Sapling.Serving.Api;

namespace Sapling.Serving.Tests;

/// <summary>NaN or infinity in a response body is written as a named literal; the writer never throws half-way through a response.</summary>
public sealed class ResultsJsonTests
{
    [Fact]
    public void NonFiniteNumbersAreWrittenNotThrown()
    {
        var body = new JsonObject { ["loss"] = double.NaN, ["probability"] = float.PositiveInfinity, ["ok"] = 1.5 };
        var text = body.ToJsonString(Results.JsonOptions);
        Assert.Contains("NaN", text);
        Assert.Contains("Infinity", text);
        Assert.Contains("1.5", text);
    }
}
