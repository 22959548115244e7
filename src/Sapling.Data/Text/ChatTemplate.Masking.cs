using Sapling.Data.Text.Jinja;

namespace Sapling.Data.Text;

public sealed partial class ChatTemplate
{
    /// <summary>
    /// Token ids of the rendered conversation and, per id, whether it is trained on: each assistant message's content
    /// and the end-of-turn text after it (so the model learns to stop), nothing of other turns, headers or the
    /// whitespace after a turn.
    /// </summary>
    /// <remarks>
    /// Where each message's content lies is found by rendering the conversation again with that content swapped for a
    /// marker: the text before and after the marker must reappear around the real content. Message boundaries come
    /// from rendering prefixes of the conversation, where the template renders them as prefixes. The text is encoded
    /// piece by piece between these cut points (header, content up to the end-of-turn, the rest), which for ChatML is
    /// exactly the "role header / content and &lt;|im_end|&gt; / newline" split Sapling has always used.
    /// </remarks>
    /// <exception cref="JinjaRenderException">The template rejected the conversation.</exception>
    /// <exception cref="NotSupportedException">The template does not render an assistant message's content as given.</exception>
    public (int[] Ids, bool[] Trained) Encode(ITokenizer tokenizer, IReadOnlyList<ChatMessage> messages)
    {
        string full = Render(messages, addGenerationPrompt: false);
        var cuts = new SortedSet<int> { 0, full.Length };
        var trainedSpans = new List<(int Start, int End)>();
        var boundaries = new int?[messages.Count + 1];
        for (int i = 0; i < messages.Count; i++) boundaries[i] = PrefixLength(messages, i, full);
        boundaries[messages.Count] = full.Length;
        foreach (var b in boundaries)
            if (b is int cut) cuts.Add(cut);

        int previousEnd = 0;
        var contents = new (int Start, int End)?[messages.Count];
        for (int i = 0; i < messages.Count; i++)
        {
            contents[i] = ContentSpan(messages, i, full, previousEnd);
            if (contents[i] is { } span) previousEnd = span.End;
            else if (messages[i].Role == "assistant")
                throw new NotSupportedException($"the chat template does not render assistant message {i + 1} as given, so its tokens cannot be told apart for the loss mask");
        }
        for (int i = 0; i < messages.Count; i++)
        {
            if (contents[i] is not { } span) continue;
            // The turn's end: the next message boundary, else where the next content starts.
            int limit = full.Length;
            for (int j = i + 1; j <= messages.Count; j++)
            {
                if (boundaries[j] is int b && b >= span.End) { limit = b; break; }
                if (j < messages.Count && contents[j] is { } next) { limit = next.Start; break; }
            }
            int end = span.End;
            if (EndOfTurn != null)
            {
                int at = full.IndexOf(EndOfTurn, span.End, limit - span.End, StringComparison.Ordinal);
                if (at >= 0) end = at + EndOfTurn.Length;
            }
            cuts.Add(span.Start);
            cuts.Add(end);
            if (messages[i].Role == "assistant") trainedSpans.Add((span.Start, end));
        }

        var ids = new List<int>();
        var trained = new List<bool>();
        int from = -1;
        foreach (int cut in cuts)
        {
            if (from >= 0 && cut > from)
            {
                bool train = false;
                foreach (var (s, e) in trainedSpans) train |= from >= s && cut <= e;
                foreach (int id in tokenizer.Encode(full[from..cut]))
                {
                    ids.Add(id);
                    trained.Add(train);
                }
            }
            from = cut;
        }
        return (ids.ToArray(), trained.ToArray());
    }

    /// <summary>Where message <paramref name="i"/> starts: the length of the first i messages rendered alone, when that
    /// rendering is a prefix of the whole (templates that close a conversation with extra text are not); else null.</summary>
    private int? PrefixLength(IReadOnlyList<ChatMessage> messages, int i, string full)
    {
        if (i == 0) return null;
        string? prefix = TryRender(Take(messages, i), false);
        return prefix != null && full.StartsWith(prefix, StringComparison.Ordinal) ? prefix.Length : null;
    }

    /// <summary>The span of message i's content in the rendering, found by rendering with the content swapped for a
    /// marker; null when the template drops, repeats or rewrites the message beyond trimming.</summary>
    private (int Start, int End)? ContentSpan(IReadOnlyList<ChatMessage> messages, int i, string full, int notBefore)
    {
        var swapped = new List<ChatMessage>(messages);
        swapped[i] = swapped[i] with { Content = ContentMarker };
        string? marked = TryRender(swapped, false);
        if (marked == null) return null;
        int at = marked.IndexOf(ContentMarker, StringComparison.Ordinal);
        if (at < 0 || marked.IndexOf(ContentMarker, at + 1, StringComparison.Ordinal) >= 0) return null;
        int tail = marked.Length - at - ContentMarker.Length;
        if (full.Length < at + tail || at < notBefore) return null;
        if (string.CompareOrdinal(full, 0, marked, 0, at) != 0 || string.CompareOrdinal(full, full.Length - tail, marked, at + ContentMarker.Length, tail) != 0) return null;
        var rendered = full.AsSpan(at, full.Length - tail - at);
        var content = messages[i].Content;
        // The content as written, or trimmed (templates often apply | trim or .strip()).
        if (!rendered.SequenceEqual(content) && !rendered.SequenceEqual(PythonStrings.Strip(content, null, left: true, right: true))) return null;
        return (at, full.Length - tail);
    }

    private static List<ChatMessage> Take(IReadOnlyList<ChatMessage> messages, int count)
    {
        var list = new List<ChatMessage>(count);
        for (int i = 0; i < count; i++) list.Add(messages[i]);
        return list;
    }
}
