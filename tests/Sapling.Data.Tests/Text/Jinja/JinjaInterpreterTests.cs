using Sapling.Data.Text.Jinja;

namespace Sapling.Data.Tests.Text.Jinja;

public sealed class JinjaInterpreterTests
{
    private static string Render(string source, Dictionary<string, object?>? variables = null) =>
        JinjaTemplate.Parse(source).Render(variables ?? []);

    [Fact]
    public void WhitespaceControlFollowsTrimAndLstripBlocks()
    {
        // trim_blocks eats the newline after %}, lstrip_blocks the indent before {%; }} keeps its newline.
        Assert.Equal("a\nb\n", Render("{% if true %}\n  a\n{% endif %}\n".Replace("  a", "a") + "{{ 'b' }}\n\n"));
        Assert.Equal("x\n", Render("    {% for i in [1] %}\nx\n    {% endfor %}\n"));
        Assert.Equal("ab", Render("a   \n  {{- 'b' -}}  \n"));
        Assert.Equal("  1", Render("{%+ if true %}  1{% endif %}"));
    }

    [Fact]
    public void LoopVariablesAndScopes()
    {
        Assert.Equal("1:0:True:False:3 2:1:False:False:3 3:2:False:True:3 ",
            Render("{% for x in xs %}{{ loop.index }}:{{ loop.index0 }}:{{ loop.first }}:{{ loop.last }}:{{ loop.length }} {% endfor %}", new() { ["xs"] = new[] { "a", "b", "c" } }));
        // A set inside a loop stays in its iteration; a namespace carries values out.
        Assert.Equal("0|3", Render("{% set n = 0 %}{% set ns = namespace(n=0) %}{% for i in [1, 2] %}{% set n = n + i %}{% set ns.n = ns.n + i %}{% endfor %}{{ n }}|{{ ns.n }}"));
    }

    [Fact]
    public void SlicesFiltersAndTests()
    {
        var variables = new Dictionary<string, object?> { ["messages"] = new[] { "s", "u", "a" } };
        Assert.Equal("['u', 'a'] a s", Render("{{ messages[1:] }} {{ messages[-1] }} {{ messages | first }}", variables));
        Assert.Equal("A, B|2|x", Render("{{ ['a', 'b'] | map('upper') | join(', ') }}|{{ 'ab' | length }}|{{ none | default('x', true) }}"));
        Assert.Equal("True False True", Render("{{ x is not defined }} {{ none is not none }} {{ 'a' is string }}"));
        Assert.Equal("{\"a\": \"é\\n\"}", Render("{{ {'a': 'é\\n'} | tojson }}"));
    }

    [Fact]
    public void UndefinedIsEmptyAndFalseyButFailsWhenDereferenced()
    {
        Assert.Equal("[][0][no]", Render("[{{ missing }}][{{ missing | length }}][{% if missing %}yes{% else %}no{% endif %}]"));
        Assert.Equal("", Render("{{ message.missing }}", new() { ["message"] = new Dictionary<string, object?> { ["role"] = "user" } }));
        var error = Assert.Throws<JinjaRenderException>(() => Render("{{ missing.role }}"));
        Assert.Contains("'missing' is undefined", error.Message);
        Assert.Contains("line 1", error.Message);
    }

    [Fact]
    public void RaiseExceptionCarriesTheTemplatesMessage()
    {
        var error = Assert.Throws<JinjaRenderException>(() => Render("{{ raise_exception('Conversation roles must alternate') }}"));
        Assert.Equal("Conversation roles must alternate", error.Message);
    }

    [Theory]
    [InlineData("{% macro m() %}x{% endmacro %}", "{% macro %} is not supported", 1, 4)]
    [InlineData("ok\n{{ x | wordcount }}", "the filter 'wordcount' is not supported", 2, 8)]
    [InlineData("{% if x is callable %}{% endif %}", "the test 'callable' is not supported", 1, 12)]
    [InlineData("{{ x.format(1) }}", "the method 'format()' is not supported", 1, 12)]
    [InlineData("{{ strftime_local('%Y') }}", "the function 'strftime_local()' is not supported", 1, 18)]
    [InlineData("a\n  {% raw %}{{ x }}{% endraw %}", "{% raw %} blocks are not supported", 2, 3)]
    [InlineData("{% for m in messages %}", "missing {% endfor %}", 1, 24)]
    [InlineData("{% if x %}{% endfor %}", "{% endfor %} without a matching opening statement", 1, 14)]
    [InlineData("{{ 'unclosed }}", "the string literal is never closed", 1, 4)]
    [InlineData("{{ x $ y }}", "unexpected character '$'", 1, 6)]
    [InlineData("{% set x %}a{% endset %}", "{% set %}...{% endset %} blocks are not supported", 1, 4)]
    [InlineData("{% if x %}{% break %}{% endif %}", "{% break %} outside a for loop", 1, 14)]
    [InlineData("{% for x in xs %}{% generation %}{% continue %}{% endgeneration %}{% endfor %}", "{% continue %} outside a for loop", 1, 37)]
    [InlineData("{% for x in xs %}{% endfor %}{% continue %}", "{% continue %} outside a for loop", 1, 33)]
    [InlineData("{% generation %}x", "missing {% endgeneration %}", 1, 18)]
    [InlineData("{# never closed", "the comment '{#' is never closed", 1, 1)]
    public void UnsupportedOrMalformedTemplatesFailAtParseTimeWithTheirPosition(string source, string message, int line, int column)
    {
        var error = Assert.Throws<JinjaSyntaxException>(() => JinjaTemplate.Parse(source));
        Assert.Contains(message, error.Message);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void StrftimeNowFormatsTheRendersClockAndRefusesUnknownCodes()
    {
        var template = JinjaTemplate.Parse("{{ strftime_now('%d %b %Y') }}");
        Assert.Equal("03 Jul 2024", template.Render(new Dictionary<string, object?>(), new DateTime(2024, 7, 3)));
        // Without a clock it is today (read on both sides of the render, in case midnight falls between).
        string Today() => DateTime.Now.ToString("dd MMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
        var before = Today();
        var rendered = template.Render(new Dictionary<string, object?>());
        Assert.Contains(rendered, new[] { before, Today() });
        var error = Assert.Throws<JinjaRenderException>(() => Render("{{ strftime_now('%Z') }}"));
        Assert.Contains("'%Z' is not supported", error.Message);
    }
}
