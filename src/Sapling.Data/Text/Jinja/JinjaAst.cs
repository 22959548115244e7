namespace Sapling.Data.Text.Jinja;

// The parsed template: statements that write output, and expressions that compute values. Every node keeps its
// source position so that rendering errors can say where they happened.

internal abstract record JinjaStatement(SourcePosition Position);

internal sealed record TextStatement(string Text, SourcePosition Position) : JinjaStatement(Position);

internal sealed record OutputStatement(JinjaExpression Value, SourcePosition Position) : JinjaStatement(Position);

internal sealed record IfBranch(JinjaExpression Condition, IReadOnlyList<JinjaStatement> Body);

internal sealed record IfStatement(IReadOnlyList<IfBranch> Branches, IReadOnlyList<JinjaStatement>? Else, SourcePosition Position) : JinjaStatement(Position);

/// <summary><c>{% for a, b in xs if cond %}...{% else %}...{% endfor %}</c>.</summary>
internal sealed record ForStatement(IReadOnlyList<string> Targets, JinjaExpression Items, JinjaExpression? Filter, IReadOnlyList<JinjaStatement> Body,
    IReadOnlyList<JinjaStatement>? Else, SourcePosition Position) : JinjaStatement(Position);

/// <summary><c>{% set name = value %}</c>, or <c>{% set ns.attribute = value %}</c> on a namespace() object.</summary>
internal sealed record SetStatement(string Name, string? Attribute, JinjaExpression Value, SourcePosition Position) : JinjaStatement(Position);

/// <summary><c>{% break %}</c> or <c>{% continue %}</c> (Jinja's loopcontrols extension, which transformers enables).</summary>
internal sealed record LoopControlStatement(bool Break, SourcePosition Position) : JinjaStatement(Position);

/// <summary>
/// transformers' <c>{% generation %}...{% endgeneration %}</c>, which marks an assistant's tokens: the body renders
/// unchanged, in a scope of its own (transformers implements it as a call block). Sapling finds assistant spans by
/// rendering, so the mark itself is not needed.
/// </summary>
internal sealed record GenerationStatement(IReadOnlyList<JinjaStatement> Body, SourcePosition Position) : JinjaStatement(Position);

internal abstract record JinjaExpression(SourcePosition Position);

internal sealed record LiteralExpression(object? Value, SourcePosition Position) : JinjaExpression(Position);

internal sealed record NameExpression(string Name, SourcePosition Position) : JinjaExpression(Position);

/// <summary>A list literal, or a tuple <c>(a, b)</c> when <paramref name="IsTuple"/>.</summary>
internal sealed record ListExpression(IReadOnlyList<JinjaExpression> Items, SourcePosition Position, bool IsTuple = false) : JinjaExpression(Position);

internal sealed record DictExpression(IReadOnlyList<(JinjaExpression Key, JinjaExpression Value)> Items, SourcePosition Position) : JinjaExpression(Position);

/// <summary><c>target.name</c>: an attribute, or else an item of that name (Jinja's getattr-then-getitem).</summary>
internal sealed record AttributeExpression(JinjaExpression Target, string Name, SourcePosition Position) : JinjaExpression(Position);

/// <summary><c>target[key]</c>: an item, or else an attribute when the key is a string.</summary>
internal sealed record ItemExpression(JinjaExpression Target, JinjaExpression Key, SourcePosition Position) : JinjaExpression(Position);

internal sealed record SliceExpression(JinjaExpression Target, JinjaExpression? Start, JinjaExpression? Stop, JinjaExpression? Step, SourcePosition Position) : JinjaExpression(Position);

/// <summary>Unary - + and not.</summary>
internal sealed record UnaryExpression(string Operator, JinjaExpression Operand, SourcePosition Position) : JinjaExpression(Position);

/// <summary>Arithmetic (+ - * / // % **), concatenation (~) and the short-circuit and/or.</summary>
internal sealed record BinaryExpression(string Operator, JinjaExpression Left, JinjaExpression Right, SourcePosition Position) : JinjaExpression(Position);

/// <summary>A comparison chain <c>a &lt; b &lt;= c</c> (== != &lt; &gt; &lt;= &gt;= in, "not in"), true when every link holds.</summary>
internal sealed record CompareExpression(JinjaExpression First, IReadOnlyList<(string Operator, JinjaExpression Operand)> Rest, SourcePosition Position) : JinjaExpression(Position);

/// <summary><c>then if condition else otherwise</c>; without else an untaken branch is undefined.</summary>
internal sealed record ConditionalExpression(JinjaExpression Condition, JinjaExpression Then, JinjaExpression? Otherwise, SourcePosition Position) : JinjaExpression(Position);

internal sealed record Arguments(IReadOnlyList<JinjaExpression> Positional, IReadOnlyList<(string Name, JinjaExpression Value)> Named)
{
    public static readonly Arguments None = new([], []);
}

internal sealed record FilterExpression(JinjaExpression Value, string Filter, Arguments Arguments, SourcePosition Position) : JinjaExpression(Position);

/// <summary><c>value is [not] test(args)</c>.</summary>
internal sealed record TestExpression(JinjaExpression Value, string Test, Arguments Arguments, bool Negated, SourcePosition Position) : JinjaExpression(Position);

/// <summary><c>target.method(args)</c> for the string, dict and loop methods the interpreter knows.</summary>
internal sealed record MethodCallExpression(JinjaExpression Target, string Method, Arguments Arguments, SourcePosition Position) : JinjaExpression(Position);

/// <summary>A call of a global function: raise_exception, namespace, range.</summary>
internal sealed record FunctionCallExpression(string Function, Arguments Arguments, SourcePosition Position) : JinjaExpression(Position);
