using System.Text;

namespace Sapling.Data.Text.Jinja;

/// <summary>Walks the statement tree, writing output; expressions follow Python's semantics through <see cref="JinjaValues"/>.</summary>
internal sealed class JinjaEvaluator
{
    private readonly StringBuilder output = new();
    private readonly DateTime now;

    private JinjaEvaluator(DateTime now) => this.now = now;

    /// <summary>Variables visible at one level: the template's globals, or one iteration of a for loop (Jinja scopes
    /// a {% set %} inside a loop body to that iteration; {% if %} opens no scope).</summary>
    private sealed class Scope(Scope? parent)
    {
        private readonly Dictionary<string, object?> variables = new(StringComparer.Ordinal);
        private readonly Scope? parent = parent;

        public void Set(string name, object? value) => variables[name] = value;

        public bool TryGet(string name, out object? value)
        {
            for (var s = this; s != null; s = s.parent)
                if (s.variables.TryGetValue(name, out value)) return true;
            value = null;
            return false;
        }
    }

    public static string Render(IReadOnlyList<JinjaStatement> template, IReadOnlyDictionary<string, object?> variables, DateTime now)
    {
        var globals = new Scope(null);
        foreach (var (name, value) in variables) globals.Set(name, JinjaValues.From(value));
        var evaluator = new JinjaEvaluator(now);
        evaluator.Execute(template, globals);
        return evaluator.output.ToString();
    }

    /// <summary>How a run of statements ended: at its end, or at a break or continue for the innermost loop.</summary>
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    private Flow Execute(IReadOnlyList<JinjaStatement> statements, Scope scope)
    {
        foreach (var statement in statements)
        {
            var flow = Flow.Normal;
            switch (statement)
            {
                case TextStatement text:
                    output.Append(text.Text);
                    break;
                case OutputStatement o:
                    output.Append(JinjaValues.ToText(Evaluate(o.Value, scope)));
                    break;
                case IfStatement i:
                    flow = ExecuteIf(i, scope);
                    break;
                case ForStatement f:
                    flow = ExecuteFor(f, scope);
                    break;
                case SetStatement s:
                    ExecuteSet(s, scope);
                    break;
                case LoopControlStatement control:
                    flow = control.Break ? Flow.Break : Flow.Continue;
                    break;
                case GenerationStatement generation:
                    Execute(generation.Body, new Scope(scope));
                    break;
                default:
                    throw new InvalidOperationException($"unknown statement {statement.GetType().Name}");
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow ExecuteIf(IfStatement statement, Scope scope)
    {
        foreach (var branch in statement.Branches)
        {
            if (!JinjaValues.IsTruthy(Evaluate(branch.Condition, scope))) continue;
            return Execute(branch.Body, scope);
        }
        return statement.Else != null ? Execute(statement.Else, scope) : Flow.Normal;
    }

    /// <summary>Runs the loop; its own break and continue end there, but an else body's reach the enclosing loop.</summary>
    private Flow ExecuteFor(ForStatement statement, Scope scope)
    {
        var source = Evaluate(statement.Items, scope);
        var all = WithPosition(statement.Position, () => JinjaValues.Iterate(source));
        var items = all;
        if (statement.Filter != null)
        {
            // The loop's filter sees each item bound to the loop variables, and loop.length counts what passed.
            items = [];
            foreach (var item in all)
            {
                var probe = new Scope(scope);
                Bind(statement, probe, item);
                if (JinjaValues.IsTruthy(Evaluate(statement.Filter, probe))) items.Add(item);
            }
        }
        if (items.Count == 0) return statement.Else != null ? Execute(statement.Else, scope) : Flow.Normal;
        var loop = new JinjaLoop(items);
        for (int i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            var iteration = new Scope(scope);
            iteration.Set("loop", loop);
            Bind(statement, iteration, items[i]);
            if (Execute(statement.Body, iteration) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    private static void Bind(ForStatement statement, Scope scope, object? item)
    {
        if (statement.Targets.Count == 1)
        {
            scope.Set(statement.Targets[0], item);
            return;
        }
        var parts = item switch
        {
            List<object?> l => l,
            string s => JinjaValues.CodePoints(s).Cast<object?>().ToList(),
            _ => throw Located(statement.Position, $"cannot unpack a {JinjaValues.TypeName(item)} into {statement.Targets.Count} loop variables"),
        };
        if (parts.Count != statement.Targets.Count)
            throw Located(statement.Position, $"cannot unpack {parts.Count} values into {statement.Targets.Count} loop variables");
        for (int i = 0; i < parts.Count; i++) scope.Set(statement.Targets[i], parts[i]);
    }

    private void ExecuteSet(SetStatement statement, Scope scope)
    {
        var value = Evaluate(statement.Value, scope);
        if (statement.Attribute == null)
        {
            scope.Set(statement.Name, value);
            return;
        }
        if (!scope.TryGet(statement.Name, out var target) || target is not JinjaNamespace ns)
            throw Located(statement.Position, $"cannot assign attribute on non-namespace object '{statement.Name}'");
        ns.Attributes[statement.Attribute] = value;
    }

    private static JinjaRenderException Located(SourcePosition position, string message) => new($"{message} ({position})");

    /// <summary>Adds the template position to errors from value operations (a raise_exception message is left as written).</summary>
    private static T WithPosition<T>(SourcePosition position, Func<T> compute)
    {
        try
        {
            return compute();
        }
        catch (JinjaRenderException e) when (!e.Data.Contains("located"))
        {
            var located = Located(position, e.Message);
            located.Data["located"] = true;
            throw located;
        }
    }

    private object? Evaluate(JinjaExpression expression, Scope scope)
    {
        switch (expression)
        {
            case LiteralExpression l:
                return l.Value;
            case NameExpression n:
                return scope.TryGet(n.Name, out var value) ? value : new JinjaUndefined($"'{n.Name}' is undefined");
            case ListExpression list:
            {
                var items = list.IsTuple ? new JinjaTuple() : new List<object?>(list.Items.Count);
                foreach (var item in list.Items) items.Add(Evaluate(item, scope));
                return items;
            }
            case DictExpression dict:
            {
                var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in dict.Items)
                {
                    if (Evaluate(k, scope) is not string key) throw Located(k.Position, "dict keys must be strings in Sapling's Jinja subset");
                    d[key] = Evaluate(v, scope);
                }
                return d;
            }
            case AttributeExpression a:
            {
                var target = Evaluate(a.Target, scope);
                return WithPosition(a.Position, () => GetAttribute(target, a.Name));
            }
            case ItemExpression i:
            {
                var target = Evaluate(i.Target, scope);
                var key = Evaluate(i.Key, scope);
                return WithPosition(i.Position, () => GetItem(target, key));
            }
            case SliceExpression s:
                return EvaluateSlice(s, scope);
            case UnaryExpression u:
                return EvaluateUnary(u, scope);
            case BinaryExpression b:
                return EvaluateBinary(b, scope);
            case CompareExpression c:
                return EvaluateCompare(c, scope);
            case ConditionalExpression c:
                if (JinjaValues.IsTruthy(Evaluate(c.Condition, scope))) return Evaluate(c.Then, scope);
                return c.Otherwise == null ? new JinjaUndefined("the inline if has no else") : Evaluate(c.Otherwise, scope);
            case FilterExpression f:
            {
                var input = Evaluate(f.Value, scope);
                var args = EvaluateArguments(f.Filter, f.Arguments, scope);
                return WithPosition(f.Position, () => JinjaFilters.Apply(f.Filter, input, args));
            }
            case TestExpression t:
            {
                var input = Evaluate(t.Value, scope);
                var args = EvaluateArguments(t.Test, t.Arguments, scope);
                return WithPosition(t.Position, () => JinjaTests.Apply(t.Test, input, args) != t.Negated);
            }
            case MethodCallExpression m:
            {
                var target = Evaluate(m.Target, scope);
                var args = EvaluateArguments(m.Method, m.Arguments, scope);
                return WithPosition(m.Position, () => JinjaMethods.Call(target, m.Method, args));
            }
            case FunctionCallExpression f:
            {
                var args = EvaluateArguments(f.Function, f.Arguments, scope);
                // raise_exception's message is the template's own words: passed on unchanged.
                if (f.Function == "raise_exception") return JinjaFunctions.Call(f.Function, args, now);
                return WithPosition(f.Position, () => JinjaFunctions.Call(f.Function, args, now));
            }
            default:
                throw new InvalidOperationException($"unknown expression {expression.GetType().Name}");
        }
    }

    private CallArguments EvaluateArguments(string callee, Arguments arguments, Scope scope)
    {
        if (arguments.Positional.Count == 0 && arguments.Named.Count == 0) return new CallArguments(callee, [], new Dictionary<string, object?>());
        var positional = new List<object?>(arguments.Positional.Count);
        foreach (var p in arguments.Positional) positional.Add(Evaluate(p, scope));
        var named = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments.Named) named[name] = Evaluate(value, scope);
        return new CallArguments(callee, positional, named);
    }

    /// <summary>obj.name: the attribute, else the item of that name; on Undefined an error (Jinja's UndefinedError).</summary>
    public static object? GetAttribute(object? target, string name) => target switch
    {
        JinjaUndefined u => throw u.Error(),
        OrderedDictionary<string, object?> d => d.TryGetValue(name, out var v) ? v : new JinjaUndefined($"'dict object' has no attribute '{name}'"),
        JinjaNamespace ns => ns.Attributes.TryGetValue(name, out var v) ? v : new JinjaUndefined($"'Namespace object' has no attribute '{name}'"),
        JinjaLoop loop => loop.Attribute(name),
        _ => new JinjaUndefined($"'{JinjaValues.TypeName(target)} object' has no attribute '{name}'"),
    };

    /// <summary>obj[key]: the item (negative indices count from the end), else the attribute for a string key.</summary>
    public static object? GetItem(object? target, object? key)
    {
        if (target is JinjaUndefined u) throw u.Error();
        if (key is string name && target is not List<object?> and not string) return GetAttribute(target, name);
        if (key is long or bool)
        {
            long index = key is bool b ? (b ? 1 : 0) : (long)key;
            switch (target)
            {
                case List<object?> list:
                    return JinjaValues.Index(index, list.Count) is int i ? list[i] : new JinjaUndefined($"list object has no element {index}");
                case string s:
                    var points = JinjaValues.CodePoints(s);
                    return JinjaValues.Index(index, points.Count) is int j ? points[j] : new JinjaUndefined($"str object has no element {index}");
            }
        }
        return new JinjaUndefined($"{JinjaValues.TypeName(target)} object has no element {JinjaValues.Repr(key)}");
    }

    private object? EvaluateSlice(SliceExpression s, Scope scope)
    {
        var target = Evaluate(s.Target, scope);
        long? Bound(JinjaExpression? e)
        {
            if (e == null) return null;
            return Evaluate(e, scope) switch
            {
                null => null,
                long l => l,
                bool b => b ? 1 : 0,
                var other => throw Located(e.Position, $"slice indices must be integers or None, not {JinjaValues.TypeName(other)}"),
            };
        }
        long? start = Bound(s.Start), stop = Bound(s.Stop), step = Bound(s.Step);
        return WithPosition(s.Position, () => target switch
        {
            JinjaUndefined u => throw u.Error(),
            List<object?> list => (object?)Slice(list, start, stop, step),
            string text => string.Concat(Slice(JinjaValues.CodePoints(text), start, stop, step)),
            _ => throw new JinjaRenderException($"'{JinjaValues.TypeName(target)}' object is not subscriptable"),
        });
    }

    /// <summary>Python's slice: bounds clamp to the sequence, negatives count from the end, a negative step walks backwards.</summary>
    private static List<T> Slice<T>(List<T> items, long? start, long? stop, long? stepOrNull)
    {
        long n = items.Count, step = stepOrNull ?? 1;
        if (step == 0) throw new JinjaRenderException("slice step cannot be zero");
        long Clamp(long? bound, long fallback, long low, long high)
        {
            if (bound == null) return fallback;
            long b = bound.Value < 0 ? bound.Value + n : bound.Value;
            return Math.Clamp(b, low, high);
        }
        var result = new List<T>();
        if (step > 0)
        {
            long from = Clamp(start, 0, 0, n), to = Clamp(stop, n, 0, n);
            for (long i = from; i < to; i += step) result.Add(items[(int)i]);
        }
        else
        {
            long from = Clamp(start, n - 1, -1, n - 1), to = Clamp(stop, -1, -1, n - 1);
            for (long i = from; i > to; i += step) result.Add(items[(int)i]);
        }
        return result;
    }

    private object? EvaluateUnary(UnaryExpression u, Scope scope)
    {
        var value = Evaluate(u.Operand, scope);
        if (u.Operator == "not") return !JinjaValues.IsTruthy(value);
        return WithPosition(u.Position, () => value switch
        {
            JinjaUndefined undefined => throw undefined.Error(),
            long l => u.Operator == "-" ? -l : l,
            bool b => u.Operator == "-" ? -(b ? 1L : 0L) : (b ? 1L : 0L),
            double d => (object?)(u.Operator == "-" ? -d : d),
            _ => throw new JinjaRenderException($"bad operand type for unary {u.Operator}: '{JinjaValues.TypeName(value)}'"),
        });
    }

    private object? EvaluateBinary(BinaryExpression b, Scope scope)
    {
        var left = Evaluate(b.Left, scope);
        // and/or short-circuit and return an operand, as in Python.
        if (b.Operator == "and") return JinjaValues.IsTruthy(left) ? Evaluate(b.Right, scope) : left;
        if (b.Operator == "or") return JinjaValues.IsTruthy(left) ? left : Evaluate(b.Right, scope);
        var right = Evaluate(b.Right, scope);
        if (b.Operator == "~") return JinjaValues.ToText(left) + JinjaValues.ToText(right);
        return WithPosition(b.Position, () => JinjaArithmetic.Apply(b.Operator, left, right));
    }

    private object? EvaluateCompare(CompareExpression c, Scope scope)
    {
        var left = Evaluate(c.First, scope);
        foreach (var (op, operand) in c.Rest)
        {
            var right = Evaluate(operand, scope);
            bool holds = WithPosition(c.Position, () => op switch
            {
                "==" => JinjaValues.AreEqual(left, right),
                "!=" => !JinjaValues.AreEqual(left, right),
                "<" => JinjaValues.Compare(left, right, op) < 0,
                ">" => JinjaValues.Compare(left, right, op) > 0,
                "<=" => JinjaValues.Compare(left, right, op) <= 0,
                ">=" => JinjaValues.Compare(left, right, op) >= 0,
                "in" => JinjaValues.Contains(right, left),
                "not in" => !JinjaValues.Contains(right, left),
                _ => throw new InvalidOperationException(op),
            });
            if (!holds) return false;
            left = right;
        }
        return true;
    }
}
