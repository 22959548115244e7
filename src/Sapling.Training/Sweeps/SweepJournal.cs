using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.IO;
using Sapling.Training.Runs;

namespace Sapling.Training.Sweeps;

/// <summary>
/// sweep.jsonl: the header, then one line per rung report and one per finished trial, in the order they happened. It is
/// rewritten whole through <see cref="AtomicFile"/> on every event (it stays small), so a crash leaves the previous
/// complete version. On reopening, rung lines of trials that never finished are dropped: those trials run again from
/// scratch and report afresh.
/// </summary>
public sealed class SweepJournal
{
    /// <summary>The journal's file name inside the sweep folder.</summary>
    public const string FileName = "sweep.jsonl";

    private readonly object gate = new();
    private readonly string path;
    private readonly List<JsonObject> lines;

    private SweepJournal(string path, SweepHeader header, List<JsonObject> lines) => (this.path, Header, this.lines) = (path, header, lines);

    /// <summary>What the sweep searches and how it ranks (the first line of the file).</summary>
    public SweepHeader Header { get; }

    /// <summary>The finished trials so far, in the order they finished.</summary>
    public IReadOnlyList<TrialRecord> Trials { get { lock (gate) return lines.Where(IsTrial).Select(ToTrial).ToList(); } }

    /// <summary>The rung reports so far, in the order they happened.</summary>
    public IReadOnlyList<RungRecord> Rungs { get { lock (gate) return lines.Where(l => Event(l) == "rung").Select(ToRung).ToList(); } }

    /// <summary>Reads an existing sweep folder's journal (for reports).</summary>
    public static SweepJournal Read(string directory)
    {
        var file = Path.Combine(directory, FileName);
        if (!File.Exists(file)) throw new FileNotFoundException($"'{directory}' is not a sweep folder: it has no {FileName}", file);
        var lines = new List<JsonObject>();
        int number = 0;
        foreach (var text in File.ReadLines(file))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                lines.Add(JsonNode.Parse(text)?.AsObject() ?? throw new InvalidDataException("empty line"));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{file}, line {number}: not a JSON object ({e.Message})");
            }
        }
        if (lines.Count == 0 || Event(lines[0]) != "sweep") throw new InvalidDataException($"{file}: the first line must be the sweep header");
        return new SweepJournal(file, ToHeader(lines[0]), lines);
    }

    /// <summary>Starts a journal in <paramref name="directory"/>, or continues the one there if it describes the same sweep.</summary>
    public static SweepJournal Open(string directory, SweepHeader header)
    {
        Directory.CreateDirectory(directory);
        if (!File.Exists(Path.Combine(directory, FileName)))
        {
            var created = new SweepJournal(Path.Combine(directory, FileName), header, [FromHeader(header)]);
            created.Save();
            return created;
        }
        var journal = Read(directory);
        var old = journal.Header;
        if (old.Metric != header.Metric || old.Maximize != header.Maximize || !old.Parameters.Select(p => p.Name).SequenceEqual(header.Parameters.Select(p => p.Name)))
            throw new InvalidDataException($"{journal.path} belongs to a different sweep (metric {old.Metric}, parameters {string.Join(", ", old.Parameters.Select(p => p.Name))}); use another --out folder");
        var finished = journal.lines.Where(IsTrial).Select(l => (int)l["trial"]!).ToHashSet();
        journal.lines.RemoveAll(l => Event(l) == "rung" && !finished.Contains((int)l["trial"]!));
        journal.Save();
        return journal;
    }

    /// <summary>Records a trial's value at a rung and saves the journal.</summary>
    public void Add(RungRecord rung) => Append(new JsonObject
    {
        ["event"] = "rung", ["trial"] = rung.Trial, ["epoch"] = rung.Epoch, ["value"] = Number(rung.Value),
    });

    /// <summary>Records a finished trial and saves the journal.</summary>
    public void Add(TrialRecord t)
    {
        var settings = new JsonObject();
        foreach (var s in t.Settings) settings[s.Name] = s.Value;
        Append(new JsonObject
        {
            ["event"] = "trial", ["trial"] = t.Trial, ["status"] = t.Status, ["settings"] = settings, ["value"] = Number(t.Value),
            ["best_epoch"] = t.BestEpoch, ["epochs"] = t.Epochs, ["seconds"] = Math.Round(t.Seconds, 2), ["run"] = t.RunDirectory,
        });
    }

    private void Append(JsonObject line)
    {
        lock (gate)
        {
            lines.Add(line);
            Save();
        }
    }

    private void Save() => AtomicFile.WriteAllText(path, string.Concat(lines.Select(l => l.ToJsonString(JsonNumbers.Options) + "\n")));

    // NaN (a diverged trial) is kept as the literal NaN, which JsonNumbers reads back.
    private static JsonNode Number(double value) => JsonValue.Create(value)!;

    private static string? Event(JsonObject line) => (string?)line["event"];

    private static bool IsTrial(JsonObject line) => Event(line) == "trial";

    private static double ReadNumber(JsonNode? node) => node!.GetValueKind() == JsonValueKind.String ? double.Parse((string)node!, System.Globalization.CultureInfo.InvariantCulture) : (double)node!;

    private static RungRecord ToRung(JsonObject l) => new((int)l["trial"]!, (int)l["epoch"]!, ReadNumber(l["value"]));

    private static TrialRecord ToTrial(JsonObject l) => new(
        (int)l["trial"]!, (string)l["status"]!,
        l["settings"]!.AsObject().Select(p => new Setting(p.Key, (string)p.Value!)).ToArray(),
        ReadNumber(l["value"]), (int)l["best_epoch"]!, (int)l["epochs"]!, (double)l["seconds"]!, (string)l["run"]!);

    private static JsonObject FromHeader(SweepHeader h) => new()
    {
        ["event"] = "sweep", ["metric"] = h.Metric, ["mode"] = h.Maximize ? "max" : "min",
        ["parameters"] = new JsonArray(h.Parameters.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["log"] = p.LogScale }).ToArray()),
    };

    private static SweepHeader ToHeader(JsonObject l) => new(
        (string)l["metric"]!, (string?)l["mode"] == "max",
        l["parameters"]!.AsArray().Select(p => new ParameterAxis((string)p!["name"]!, (bool)p["log"]!)).ToArray());
}
