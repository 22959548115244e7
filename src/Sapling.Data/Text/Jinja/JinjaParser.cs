namespace Sapling.Data.Text.Jinja;

/// <summary>
/// Builds the statement tree from the tokens. Operator precedence follows Jinja's parser (lowest first): inline
/// if/else, or, and, not, comparisons and in, + -, ~, * / // %, **, unary - +, then postfix access, filters and
/// tests. Every construct outside the supported subset — unknown statements, filters, tests, methods, functions —
/// is refused here with its position, before anything is rendered.
/// </summary>
internal sealed class JinjaParser
{
    private static readonly HashSet<string> RefusedStatements =
        ["macro", "endmacro", "call", "endcall", "filter", "endfilter", "include", "import", "from", "extends", "block", "endblock",
         "with", "endwith", "do", "autoescape", "endautoescape", "trans", "endtrans", "endset"];
    private static readonly HashSet<string> NotArgumentStarts = ["else", "or", "and", "not", "in", "is", "if"];
    private readonly List<JinjaToken> tokens;
    private int next;

    // How many for loops enclose the statement being parsed: break and continue are errors outside one.
    private int loopDepth;

    private JinjaParser(List<JinjaToken> tokens) => this.tokens = tokens;

    public static IReadOnlyList<JinjaStatement> Parse(string source)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source));
        return parser.ParseBody([], out _);
    }

    private JinjaToken Peek(int ahead = 0) => tokens[Math.Min(next + ahead, tokens.Count - 1)];

    private JinjaToken Take() => tokens[Math.Min(next++, tokens.Count - 1)];

    private static JinjaSyntaxException Error(string message, JinjaToken at) => new(message, at.Position.Line, at.Position.Column);

    private JinjaToken Expect(JinjaTokenKind kind, string? text, string what)
    {
        var t = Peek();
        if (t.Kind != kind || (text != null && t.Text != text)) throw Error($"expected {what}, found {t.Describe()}", t);
        return Take();
    }

    private void ExpectOperator(string op) => Expect(JinjaTokenKind.Operator, op, $"'{op}'");

    private string ExpectName(string what) => Expect(JinjaTokenKind.Name, null, what).Text;

    private bool SkipOperator(string op)
    {
        if (!Peek().IsOperator(op)) return false;
        next++;
        return true;
    }

    private bool SkipName(string name)
    {
        if (!Peek().IsName(name)) return false;
        next++;
        return true;
    }

    /// <summary>Statements up to a block tag named in <paramref name="ends"/> (consumed up to its keyword), or to the end when none are.</summary>
    private List<JinjaStatement> ParseBody(string[] ends, out string? endedBy)
    {
        var body = new List<JinjaStatement>();
        while (true)
        {
            var t = Peek();
            switch (t.Kind)
            {
                case JinjaTokenKind.EndOfInput:
                    if (ends.Length > 0) throw Error($"missing {{% {ends[^1]} %}}", t);
                    endedBy = null;
                    return body;
                case JinjaTokenKind.Text:
                    next++;
                    body.Add(new TextStatement(t.Text, t.Position));
                    break;
                case JinjaTokenKind.VariableBegin:
                    next++;
                    var value = ParseExpression();
                    Expect(JinjaTokenKind.VariableEnd, null, "'}}'");
                    body.Add(new OutputStatement(value, t.Position));
                    break;
                case JinjaTokenKind.BlockBegin:
                    var keyword = Peek(1);
                    if (keyword.Kind != JinjaTokenKind.Name) throw Error($"expected a statement name after '{{%', found {keyword.Describe()}", keyword);
                    next += 2;
                    if (Array.IndexOf(ends, keyword.Text) >= 0)
                    {
                        endedBy = keyword.Text;
                        return body;
                    }
                    body.Add(ParseStatement(keyword));
                    break;
                default:
                    throw Error($"unexpected {t.Describe()}", t);
            }
        }
    }

    private JinjaStatement ParseStatement(JinjaToken keyword)
    {
        switch (keyword.Text)
        {
            case "if": return ParseIf(keyword);
            case "for": return ParseFor(keyword);
            case "set": return ParseSet(keyword);
            case "break" or "continue":
                if (loopDepth == 0) throw Error($"{{% {keyword.Text} %}} outside a for loop", keyword);
                Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
                return new LoopControlStatement(keyword.Text == "break", keyword.Position);
            case "generation": return ParseGeneration(keyword);
            case "elif" or "else" or "endif" or "endfor" or "endgeneration":
                throw Error($"{{% {keyword.Text} %}} without a matching opening statement", keyword);
        }
        if (RefusedStatements.Contains(keyword.Text)) throw Error($"{{% {keyword.Text} %}} is not supported by Sapling's Jinja subset", keyword);
        throw Error($"unknown statement {{% {keyword.Text} %}}", keyword);
    }

    private IfStatement ParseIf(JinjaToken keyword)
    {
        var branches = new List<IfBranch>();
        List<JinjaStatement>? otherwise = null;
        var condition = ParseExpression();
        while (true)
        {
            Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
            var body = ParseBody(["elif", "else", "endif"], out var endedBy);
            branches.Add(new IfBranch(condition, body));
            if (endedBy == "elif")
            {
                condition = ParseExpression();
                continue;
            }
            if (endedBy == "else")
            {
                Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
                otherwise = ParseBody(["endif"], out _);
            }
            Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
            return new IfStatement(branches, otherwise, keyword.Position);
        }
    }

    private ForStatement ParseFor(JinjaToken keyword)
    {
        var targets = new List<string> { ExpectName("a loop variable name") };
        while (SkipOperator(",")) targets.Add(ExpectName("a loop variable name"));
        Expect(JinjaTokenKind.Name, "in", "'in'");
        // The iterable takes no inline if: "for x in xs if cond" filters the loop.
        var items = ParseOr();
        JinjaExpression? filter = SkipName("if") ? ParseOr() : null;
        if (Peek().IsName("recursive")) throw Error("recursive loops are not supported by Sapling's Jinja subset", Peek());
        Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
        loopDepth++;
        var body = ParseBody(["else", "endfor"], out var endedBy);
        loopDepth--;
        List<JinjaStatement>? otherwise = null;
        if (endedBy == "else")
        {
            Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
            otherwise = ParseBody(["endfor"], out _);
        }
        Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
        return new ForStatement(targets, items, filter, body, otherwise, keyword.Position);
    }

    private GenerationStatement ParseGeneration(JinjaToken keyword)
    {
        Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
        // The body is a function of its own in Jinja (a call block), so an enclosing loop's break does not reach into it.
        int enclosingLoops = loopDepth;
        loopDepth = 0;
        var body = ParseBody(["endgeneration"], out _);
        loopDepth = enclosingLoops;
        Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
        return new GenerationStatement(body, keyword.Position);
    }

    private SetStatement ParseSet(JinjaToken keyword)
    {
        string name = ExpectName("a variable name");
        string? attribute = SkipOperator(".") ? ExpectName("an attribute name") : null;
        if (Peek().Kind == JinjaTokenKind.BlockEnd) throw Error("{% set %}...{% endset %} blocks are not supported by Sapling's Jinja subset", keyword);
        if (Peek().IsOperator(",")) throw Error("assigning several variables in one {% set %} is not supported by Sapling's Jinja subset", Peek());
        ExpectOperator("=");
        var value = ParseExpression();
        Expect(JinjaTokenKind.BlockEnd, null, "'%}'");
        return new SetStatement(name, attribute, value, keyword.Position);
    }

    private JinjaExpression ParseExpression()
    {
        var e = ParseOr();
        while (Peek().IsName("if"))
        {
            var at = Take();
            var condition = ParseOr();
            var otherwise = SkipName("else") ? ParseExpression() : null;
            e = new ConditionalExpression(condition, e, otherwise, at.Position);
        }
        return e;
    }

    private JinjaExpression ParseOr()
    {
        var e = ParseAnd();
        while (Peek().IsName("or"))
        {
            var at = Take();
            e = new BinaryExpression("or", e, ParseAnd(), at.Position);
        }
        return e;
    }

    private JinjaExpression ParseAnd()
    {
        var e = ParseNot();
        while (Peek().IsName("and"))
        {
            var at = Take();
            e = new BinaryExpression("and", e, ParseNot(), at.Position);
        }
        return e;
    }

    private JinjaExpression ParseNot()
    {
        if (!Peek().IsName("not")) return ParseCompare();
        var at = Take();
        return new UnaryExpression("not", ParseNot(), at.Position);
    }

    private JinjaExpression ParseCompare()
    {
        var first = ParseAdditive();
        var rest = new List<(string, JinjaExpression)>();
        while (true)
        {
            var t = Peek();
            if (t.Kind == JinjaTokenKind.Operator && t.Text is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                next++;
                rest.Add((t.Text, ParseAdditive()));
            }
            else if (t.IsName("in"))
            {
                next++;
                rest.Add(("in", ParseAdditive()));
            }
            else if (t.IsName("not") && Peek(1).IsName("in"))
            {
                next += 2;
                rest.Add(("not in", ParseAdditive()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpression(first, rest, first.Position);
    }

    private JinjaExpression ParseAdditive()
    {
        var e = ParseConcat();
        while (Peek().Kind == JinjaTokenKind.Operator && Peek().Text is "+" or "-")
        {
            var at = Take();
            e = new BinaryExpression(at.Text, e, ParseConcat(), at.Position);
        }
        return e;
    }

    private JinjaExpression ParseConcat()
    {
        var e = ParseMultiplicative();
        while (Peek().IsOperator("~"))
        {
            var at = Take();
            e = new BinaryExpression("~", e, ParseMultiplicative(), at.Position);
        }
        return e;
    }

    private JinjaExpression ParseMultiplicative()
    {
        var e = ParsePower();
        while (Peek().Kind == JinjaTokenKind.Operator && Peek().Text is "*" or "/" or "//" or "%")
        {
            var at = Take();
            e = new BinaryExpression(at.Text, e, ParsePower(), at.Position);
        }
        return e;
    }

    // Jinja's ** is left-associative: 2 ** 3 ** 2 is 64.
    private JinjaExpression ParsePower()
    {
        var e = ParseUnary(withFilters: true);
        while (Peek().IsOperator("**"))
        {
            var at = Take();
            e = new BinaryExpression("**", e, ParseUnary(withFilters: true), at.Position);
        }
        return e;
    }

    // As in Jinja, "-x|abs" is "(-x)|abs": the operand of a sign takes no filters, the signed value does.
    private JinjaExpression ParseUnary(bool withFilters)
    {
        var t = Peek();
        JinjaExpression e;
        if (t.IsOperator("-") || t.IsOperator("+"))
        {
            next++;
            e = new UnaryExpression(t.Text, ParseUnary(withFilters: false), t.Position);
        }
        else e = ParsePrimary();
        e = ParsePostfix(e);
        return withFilters ? ParseFiltersAndTests(e) : e;
    }

    private JinjaExpression ParsePrimary()
    {
        var t = Take();
        switch (t.Kind)
        {
            case JinjaTokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new LiteralExpression(true, t.Position),
                    "false" or "False" => new LiteralExpression(false, t.Position),
                    "none" or "None" => new LiteralExpression(null, t.Position),
                    _ => new NameExpression(t.Text, t.Position),
                };
            case JinjaTokenKind.String:
                // Adjacent string literals concatenate, as in Python.
                var text = (string)t.Value!;
                while (Peek().Kind == JinjaTokenKind.String) text += (string)Take().Value!;
                return new LiteralExpression(text, t.Position);
            case JinjaTokenKind.Integer or JinjaTokenKind.Float:
                return new LiteralExpression(t.Value, t.Position);
            case JinjaTokenKind.Operator when t.Text == "(":
                if (SkipOperator(")")) return new ListExpression([], t.Position, IsTuple: true);
                var inner = ParseExpression();
                if (!Peek().IsOperator(","))
                {
                    ExpectOperator(")");
                    return inner;
                }
                var tupleItems = new List<JinjaExpression> { inner };
                while (SkipOperator(",") && !Peek().IsOperator(")")) tupleItems.Add(ParseExpression());
                ExpectOperator(")");
                return new ListExpression(tupleItems, t.Position, IsTuple: true);
            case JinjaTokenKind.Operator when t.Text == "[":
                var items = new List<JinjaExpression>();
                while (!Peek().IsOperator("]"))
                {
                    items.Add(ParseExpression());
                    if (!SkipOperator(",")) break;
                }
                ExpectOperator("]");
                return new ListExpression(items, t.Position);
            case JinjaTokenKind.Operator when t.Text == "{":
                var pairs = new List<(JinjaExpression, JinjaExpression)>();
                while (!Peek().IsOperator("}"))
                {
                    var key = ParseExpression();
                    ExpectOperator(":");
                    pairs.Add((key, ParseExpression()));
                    if (!SkipOperator(",")) break;
                }
                ExpectOperator("}");
                return new DictExpression(pairs, t.Position);
            default:
                throw Error($"unexpected {t.Describe()} where a value was expected", t);
        }
    }

    private JinjaExpression ParsePostfix(JinjaExpression e)
    {
        while (true)
        {
            var t = Peek();
            if (t.IsOperator("."))
            {
                next++;
                var member = Take();
                if (member.Kind == JinjaTokenKind.Integer) e = new ItemExpression(e, new LiteralExpression(member.Value, member.Position), t.Position);
                else if (member.Kind == JinjaTokenKind.Name) e = new AttributeExpression(e, member.Text, t.Position);
                else throw Error($"expected an attribute name after '.', found {member.Describe()}", member);
            }
            else if (t.IsOperator("["))
            {
                next++;
                e = ParseSubscript(e, t);
            }
            else if (t.IsOperator("(")) e = ParseCall(e, t);
            else return e;
        }
    }

    private JinjaExpression ParseSubscript(JinjaExpression target, JinjaToken open)
    {
        JinjaExpression? start = Peek().IsOperator(":") ? null : ParseExpression();
        if (start != null && SkipOperator("]")) return new ItemExpression(target, start, open.Position);
        ExpectOperator(":");
        JinjaExpression? stop = Peek().IsOperator("]") || Peek().IsOperator(":") ? null : ParseExpression();
        JinjaExpression? step = null;
        if (SkipOperator(":") && !Peek().IsOperator("]")) step = ParseExpression();
        ExpectOperator("]");
        return new SliceExpression(target, start, stop, step, open.Position);
    }

    private JinjaExpression ParseCall(JinjaExpression callee, JinjaToken open)
    {
        if (callee is AttributeExpression member)
        {
            if (!JinjaMethods.Names.Contains(member.Name))
                throw Error($"the method '{member.Name}()' is not supported by Sapling's Jinja subset (known: {string.Join(", ", JinjaMethods.Names.Order())})", open);
            next++;
            return new MethodCallExpression(member.Target, member.Name, ParseArguments(), member.Position);
        }
        if (callee is NameExpression name)
        {
            if (!JinjaFunctions.Names.Contains(name.Name))
                throw Error($"the function '{name.Name}()' is not supported by Sapling's Jinja subset (known: {string.Join(", ", JinjaFunctions.Names.Order())})", open);
            next++;
            return new FunctionCallExpression(name.Name, ParseArguments(), name.Position);
        }
        throw Error("only named functions and known methods can be called", open);
    }

    /// <summary>After '(': positional and name=value arguments up to ')'.</summary>
    private Arguments ParseArguments()
    {
        var positional = new List<JinjaExpression>();
        var named = new List<(string, JinjaExpression)>();
        while (!Peek().IsOperator(")"))
        {
            var t = Peek();
            if (t.IsOperator("*") || t.IsOperator("**")) throw Error("*args and **kwargs are not supported by Sapling's Jinja subset", t);
            if (t.Kind == JinjaTokenKind.Name && Peek(1).IsOperator("="))
            {
                next += 2;
                named.Add((t.Text, ParseExpression()));
            }
            else
            {
                if (named.Count > 0) throw Error("a positional argument follows a keyword argument", t);
                positional.Add(ParseExpression());
            }
            if (!SkipOperator(",")) break;
        }
        ExpectOperator(")");
        return new Arguments(positional, named);
    }

    private JinjaExpression ParseFiltersAndTests(JinjaExpression e)
    {
        while (true)
        {
            var t = Peek();
            if (t.IsOperator("|"))
            {
                next++;
                var nameToken = Peek();
                string filter = ExpectName("a filter name");
                if (!JinjaFilters.Names.Contains(filter))
                    throw Error($"the filter '{filter}' is not supported by Sapling's Jinja subset (known: {string.Join(", ", JinjaFilters.Names.Order())})", nameToken);
                var arguments = SkipOperator("(") ? ParseArguments() : Arguments.None;
                e = new FilterExpression(e, filter, arguments, nameToken.Position);
            }
            else if (t.IsName("is"))
            {
                next++;
                bool negated = SkipName("not");
                var nameToken = Peek();
                string test = nameToken.Kind == JinjaTokenKind.Name && nameToken.Text is "none" or "true" or "false" ? Take().Text : ExpectName("a test name");
                if (!JinjaTests.Names.Contains(test))
                    throw Error($"the test '{test}' is not supported by Sapling's Jinja subset (known: {string.Join(", ", JinjaTests.Names.Order())})", nameToken);
                Arguments arguments = Arguments.None;
                if (SkipOperator("(")) arguments = ParseArguments();
                else if (StartsBareTestArgument(Peek())) arguments = new Arguments([ParsePostfix(ParsePrimary())], []);
                e = new TestExpression(e, test, arguments, negated, nameToken.Position);
            }
            else return e;
        }
    }

    // "x is divisibleby 3": a test may take one argument without parentheses.
    private static bool StartsBareTestArgument(JinjaToken t) => t.Kind switch
    {
        JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float => true,
        JinjaTokenKind.Name => !NotArgumentStarts.Contains(t.Text),
        JinjaTokenKind.Operator => t.Text is "[" or "{",
        _ => false,
    };
}
