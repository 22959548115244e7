namespace Sapling.Extensions.AI;

/// <summary>
/// Cuts streamed text at the first of some stop sequences (ChatOptions.StopSequences), which may arrive split across
/// chunks: text that could still be the start of a stop sequence is held back until the next chunk decides.
/// </summary>
public sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private string pending = "";

    /// <summary>Whether a stop sequence has been seen; nothing after it is ever returned.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The text that is now certain to come before any stop sequence.</summary>
    public string Push(string chunk)
    {
        if (Stopped) return "";
        pending += chunk;
        int cut = -1;
        foreach (var stop in stops)
        {
            int at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            var before = pending[..cut];
            pending = "";
            return before;
        }
        int hold = 0;
        foreach (var stop in stops)
            for (int n = Math.Min(stop.Length - 1, pending.Length); n > hold; n--)
                if (pending.AsSpan(pending.Length - n).SequenceEqual(stop.AsSpan(0, n))) { hold = n; break; }
        var ready = pending[..^hold];
        pending = pending[^hold..];
        return ready;
    }

    /// <summary>What was held back, at the end of the stream (it turned out not to start a stop sequence).</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : pending;
        pending = "";
        return rest;
    }
}
