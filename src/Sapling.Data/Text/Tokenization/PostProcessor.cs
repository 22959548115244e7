using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Data.Text.Tokenization;

/// <summary>
/// A tokenizer.json post-processor: joins the ids of one sequence (or a pair) and, when special tokens are asked for,
/// adds them (<c>[CLS] A [SEP]</c>, <c>&lt;s&gt; A &lt;/s&gt;</c>, a template's BOS), with token type ids.
/// </summary>
internal abstract class PostProcessor
{
    /// <summary>True when the processor may add tokens (only one such step is allowed in a Sequence).</summary>
    public virtual bool AddsTokens => true;

    public abstract void Process(List<int> a, List<int>? b, bool addSpecialTokens, List<int> ids, List<int> typeIds);

    /// <summary>The ids this processor may add, which the vocabulary must have.</summary>
    public virtual IEnumerable<int> SpecialIds => [];

    public static PostProcessor Read(JsonSection s, Func<string, int?> idOf)
    {
        switch (s.Type)
        {
            case "ByteLevel":
                return new PlainJoin(pairTypeIds: true);
            case "TemplateProcessing":
                return TemplateProcessor.Read(s);
            case "BertProcessing":
                return new WrapProcessor(ReadToken(s, "cls", idOf), ReadToken(s, "sep", idOf), roberta: false);
            case "RobertaProcessing":
                return new WrapProcessor(ReadToken(s, "cls", idOf), ReadToken(s, "sep", idOf), roberta: true);
            case "Sequence":
            {
                var steps = s.Objects("processors").Select(p => Read(p, idOf)).ToArray();
                var adding = steps.Where(p => p.AddsTokens).ToArray();
                if (adding.Length > 1) throw s.Error("processors", "more than one step adds special tokens; only one such step (with ByteLevel steps beside it) is supported");
                return adding.Length == 1 ? adding[0] : new PlainJoin(pairTypeIds: true);
            }
            case var other:
                throw s.Error("type", $"post-processor '{other}' is not supported");
        }
    }

    // ["[CLS]", 101]: the token and its id, which must agree with the vocabulary when it has the token.
    private static int ReadToken(JsonSection s, string key, Func<string, int?> idOf)
    {
        if (s.Node[key] is not JsonArray { Count: 2 } pair || pair[0] is not JsonValue t || !t.TryGetValue(out string? token)
            || !JsonSection.TryGetInteger(pair[1], out long id) || id < 0 || id > int.MaxValue)
            throw s.Error(key, $"is {JsonSection.Describe(s.Node[key])}, not [\"token\", id]");
        if (idOf(token) is { } known && known != id) throw s.Error(key, $"gives '{token}' id {id}, but the vocabulary gives it {known}");
        return (int)id;
    }
}

/// <summary>No special tokens: the sequences joined, type id 0 for the first and 1 for the second.</summary>
internal sealed class PlainJoin(bool pairTypeIds) : PostProcessor
{
    public override bool AddsTokens => false;

    public override void Process(List<int> a, List<int>? b, bool addSpecialTokens, List<int> ids, List<int> typeIds)
    {
        ids.AddRange(a);
        for (int i = 0; i < a.Count; i++) typeIds.Add(0);
        if (b == null) return;
        ids.AddRange(b);
        for (int i = 0; i < b.Count; i++) typeIds.Add(pairTypeIds ? 1 : 0);
    }
}

/// <summary>BERT's <c>[CLS] A [SEP] B [SEP]</c> and RoBERTa's <c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c> (all type ids 0).</summary>
internal sealed class WrapProcessor(int cls, int sep, bool roberta) : PostProcessor
{
    public override IEnumerable<int> SpecialIds => [cls, sep];

    public override void Process(List<int> a, List<int>? b, bool addSpecialTokens, List<int> ids, List<int> typeIds)
    {
        if (!addSpecialTokens)
        {
            new PlainJoin(pairTypeIds: !roberta).Process(a, b, false, ids, typeIds);
            return;
        }
        ids.Add(cls);
        ids.AddRange(a);
        ids.Add(sep);
        for (int i = 0; i < a.Count + 2; i++) typeIds.Add(0);
        if (b == null) return;
        if (roberta) ids.Add(sep);
        ids.AddRange(b);
        ids.Add(sep);
        for (int i = 0; i < b.Count + (roberta ? 2 : 1); i++) typeIds.Add(roberta ? 0 : 1);
    }
}

/// <summary>Hugging Face's TemplateProcessing: <c>single</c> and <c>pair</c> lists of sequences and special tokens.</summary>
internal sealed class TemplateProcessor(TemplateProcessor.Piece[] single, TemplateProcessor.Piece[]? pair) : PostProcessor
{
    /// <summary>A sequence (Sequence 0 = A, 1 = B) or a special token's ids, with the type id they get.</summary>
    public readonly record struct Piece(int Sequence, int[] SpecialIds, int TypeId);

    public override IEnumerable<int> SpecialIds => single.Concat(pair ?? []).SelectMany(p => p.SpecialIds);

    public static TemplateProcessor Read(JsonSection s)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (s.OptionalObject("special_tokens") is { } tokens)
            foreach (var (name, node) in tokens.Node)
            {
                var entry = node is JsonObject o ? new JsonSection(o, $"{tokens.Path}[\"{name}\"]", s.File) : throw tokens.Error($"[\"{name}\"]", "is not an object");
                var ids = entry.Array("ids").Select((n, i) => JsonSection.TryGetInteger(n, out long id) && id >= 0 && id <= int.MaxValue ? (int)id : throw entry.Error($"ids[{i}]", "is not a token id")).ToArray();
                specials[entry.OptionalString("id") ?? name] = ids;
            }
        Piece[] ReadTemplate(string key)
        {
            var list = new List<Piece>();
            int i = 0;
            foreach (var node in s.Array(key))
            {
                string at = $"{key}[{i++}]";
                if (node is not JsonObject o) throw s.Error(at, "is not an object");
                if (o["Sequence"] is JsonObject seq)
                {
                    var sq = new JsonSection(seq, $"{s.Path}.{at}.Sequence", s.File);
                    int which = sq.String("id") switch { "A" => 0, "B" => 1, var other => throw sq.Error("id", $"'{other}' is not A or B") };
                    list.Add(new Piece(which, [], sq.Int("type_id", 0)));
                }
                else if (o["SpecialToken"] is JsonObject sp)
                {
                    var st = new JsonSection(sp, $"{s.Path}.{at}.SpecialToken", s.File);
                    string name = st.String("id");
                    list.Add(new Piece(-1, specials.TryGetValue(name, out var ids) ? ids : throw st.Error("id", $"'{name}' is not in special_tokens"), st.Int("type_id", 0)));
                }
                else throw s.Error(at, "is neither {\"Sequence\": ...} nor {\"SpecialToken\": ...}");
            }
            return list.ToArray();
        }
        return new TemplateProcessor(ReadTemplate("single"), s.Has("pair") ? ReadTemplate("pair") : null);
    }

    public override void Process(List<int> a, List<int>? b, bool addSpecialTokens, List<int> ids, List<int> typeIds)
    {
        var template = b == null ? single : pair ?? throw new InvalidOperationException("this tokenizer's template has no pair form");
        foreach (var piece in template)
        {
            if (piece.Sequence < 0)
            {
                if (!addSpecialTokens) continue;
                ids.AddRange(piece.SpecialIds);
                for (int i = 0; i < piece.SpecialIds.Length; i++) typeIds.Add(piece.TypeId);
                continue;
            }
            var sequence = piece.Sequence == 0 ? a : b!;
            ids.AddRange(sequence);
            for (int i = 0; i < sequence.Count; i++) typeIds.Add(piece.TypeId);
        }
    }
}
