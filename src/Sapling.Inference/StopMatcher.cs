namespace Sapling.Inference;

/// <summary>
/// Watches streamed text for the request's stop strings. Text that could still be the start of a stop string is held
/// back until it is known not to be one, so a client never sees any part of a stop string (the server's "stop" field,
/// Microsoft.Extensions.AI's StopSequences).
/// </summary>
public sealed class StopMatcher(IReadOnlyList<string> stops)
{
    private readonly string[] stops = stops.Where(s => s.Length > 0).ToArray();
    private string pending = "";

    /// <summary>True once a stop string has been seen; every later <see cref="Push"/> returns "".</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds generated text; returns the part that is safe to send now.</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        if (stops.Length == 0) return text;
        pending += text;
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
        int hold = HeldBack();
        var ready = pending[..^hold];
        pending = pending[^hold..];
        return ready;
    }

    /// <summary>What was held back, once generation has ended without a stop string.</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : pending;
        pending = "";
        return rest;
    }

    /// <summary>The longest end of the pending text that is a proper prefix of some stop string.</summary>
    private int HeldBack()
    {
        int best = 0;
        foreach (var stop in stops)
            for (int n = Math.Min(stop.Length - 1, pending.Length); n > best; n--)
                if (pending.AsSpan(pending.Length - n).SequenceEqual(stop.AsSpan(0, n)))
                {
                    best = n;
                    break;
                }
        return best;
    }
}
