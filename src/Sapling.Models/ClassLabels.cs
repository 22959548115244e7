using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sapling.Data.Json;

namespace Sapling.Models;

/// <summary>A classifier config's id2label / label2id, as transformers writes them.</summary>
public static class ClassLabels
{
    /// <summary>id2label's names in id order; ids must run 0, 1, 2, …; empty when the config has none.</summary>
    public static string[] Read(JsonSection config)
    {
        var labels = new List<string>();
        if (config.OptionalObject("id2label") is not JsonSection map) return [];
        for (int i = 0; i < map.Node.Count; i++)
        {
            var key = i.ToString(CultureInfo.InvariantCulture);
            labels.Add(map.Node[key] is JsonNode n && n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>()
                : throw config.Error($"id2label.{key}", "is missing or not a string (ids must run 0, 1, 2, ...)"));
        }
        return labels.ToArray();
    }

    /// <summary>Adds id2label and label2id to <paramref name="root"/> when there are labels.</summary>
    public static void Write(JsonObject root, string[] labels)
    {
        if (labels.Length == 0) return;
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < labels.Length; i++)
        {
            id2label[i.ToString(CultureInfo.InvariantCulture)] = labels[i];
            label2id[labels[i]] = i;
        }
        root["id2label"] = id2label;
        root["label2id"] = label2id;
    }
}
