using System.Globalization;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Sapling.Cli.Config;

/// <summary>
/// A YAML config as a tree of sections, with <c>--set a.b=value</c> overrides applied on top. Readers take values by
/// key and the tree remembers which keys were read, so a misspelt key is reported instead of silently ignored.
/// </summary>
public sealed class ConfigTree
{
    private readonly Dictionary<string, object?> root;
    private readonly HashSet<string> used = new(StringComparer.Ordinal);

    // The member path after a defaults variable at the end of a fallback expression ("defaults.Lora.Rank" → ".Lora.Rank").
    private static readonly System.Text.RegularExpressions.Regex DefaultsMember = new(@"\b\w+((?:\.[A-Z]\w*)+)$", System.Text.RegularExpressions.RegexOptions.Compiled);

    // Option (a property path of the record bound, "LearningRate", "Lora.Rank") → the key that set it.
    private readonly Dictionary<string, string> optionKeys = new(StringComparer.Ordinal);

    private ConfigTree(Dictionary<string, object?> root, string source) => (this.root, Source) = (root, source);

    /// <summary>Where the tree came from (the file path, or a description), for error messages.</summary>
    public string Source { get; }

    /// <summary>Loads <paramref name="path"/> and applies each "section.key=value" of <paramref name="overrides"/> (the verbs' --set) in order.</summary>
    public static ConfigTree Load(string path, IEnumerable<string> overrides)
    {
        var tree = Load(path);
        foreach (var assignment in overrides) tree.Set(assignment);
        return tree;
    }

    /// <summary>
    /// Loads the YAML file at <paramref name="path"/>. Refuses a missing file, invalid YAML, an empty file and a top
    /// level that is not a mapping of sections.
    /// </summary>
    public static ConfigTree Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config file '{path}' not found", path);
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}, line {e.Start.Line}: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this on some malformed plain scalars (found by fuzzing) instead of a YamlException.
            throw new InvalidDataException($"{path}: not valid YAML ({e.Message})", e);
        }
        // An empty file is almost always a mistake (a wrong path, a truncated copy): training defaults from it would
        // hide that. A run that wants every default says so with at least one section.
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: null or "" or "~" or "null" })
            throw new InvalidDataException($"{path}: the config file is empty; give at least one section (data:, model:, train:)");
        var tree = ToObject(yaml.Documents[0].RootNode) as Dictionary<string, object?>
            ?? throw new InvalidDataException($"{path}: the top level must be a mapping of sections (data:, model:, train:)");
        return new ConfigTree(tree, path);
    }

    /// <summary>
    /// A tree with no keys, so every read takes its default; <paramref name="source"/> names it in messages.
    /// </summary>
    public static ConfigTree Empty(string source) => new(new Dictionary<string, object?>(), source);

    /// <summary>Applies "section.key=value"; the value is read as YAML (numbers, booleans, [lists], null).</summary>
    public void Set(string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--set expects key=value, got '{assignment}'");
        var path = assignment[..eq].Trim().Split('.');
        var yaml = new YamlStream();
        yaml.Load(new StringReader("v: " + assignment[(eq + 1)..]));
        var value = ((Dictionary<string, object?>)ToObject(yaml.Documents[0].RootNode)!)["v"];
        var node = root;
        for (int i = 0; i < path.Length - 1; i++)
        {
            if (!node.TryGetValue(path[i], out var child) || child is not Dictionary<string, object?> section)
                node[path[i]] = section = new Dictionary<string, object?>();
            node = section;
        }
        node[path[^1]] = value;
    }

    /// <summary>
    /// The value at <paramref name="key"/>, or <paramref name="fallback"/>. When the fallback is a record's default
    /// (<c>defaults.LearningRate</c>), the key is remembered as that option's name, so the library's messages about
    /// the option can be shown with the key (<see cref="OptionName"/>).
    /// </summary>
    public T Get<T>(string key, T fallback, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(fallback))] string fallbackExpression = "")
    {
        used.Add(key);
        // "defaults.LearningRate" or "c.Has(..) ? x : defaults.Context": the member path after the defaults variable.
        var member = DefaultsMember.Match(fallbackExpression);
        if (member.Success) NameOption(member.Groups[1].Value[1..], key);
        var value = Find(key);
        if (value == null) return fallback;
        try
        {
            return (T)ConvertTo(value, typeof(T));
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
        {
            throw new InvalidDataException($"{Source}: '{key}' should be {Describe(typeof(T))}, got '{Render(value)}'");
        }
    }

    /// <summary>
    /// Whether <paramref name="key"/> is set to a non-null value. Unlike <c>Get</c>, it does not mark the key as read.
    /// </summary>
    public bool Has(string key) => Find(key) != null;

    /// <summary>The keys at the top of this tree (sections, or a sweep parameter's kinds).</summary>
    public IReadOnlyCollection<string> SectionKeys => root.Keys;

    /// <summary>Every key a reader has asked for; after a config type's Bind, the settings that type knows.</summary>
    public IReadOnlyCollection<string> KnownKeys => used;

    /// <summary>Records that <paramref name="key"/> sets option <paramref name="option"/> (a property path of the bound record).</summary>
    public void NameOption(string option, string key) => optionKeys[option] = key;

    /// <summary>The key that set <paramref name="option"/> (a property path such as "LearningRate"), or the option itself.</summary>
    public string OptionName(string option) => optionKeys.TryGetValue(option, out var key) ? key : option;

    /// <summary>
    /// Removes a top-level section and returns it as a tree of its own, or null when there is none. A sweep: section
    /// describes a search over the training settings, not a setting, so the trainer's binder must not see it.
    /// </summary>
    public ConfigTree? Detach(string section)
    {
        if (!root.Remove(section, out var value) || value == null) return null;
        return value is Dictionary<string, object?> map ? new ConfigTree(map, $"{Source} ({section} section)")
            : throw new InvalidDataException($"{Source}: '{section}' must be a section (a mapping of settings), got '{Render(value)}'");
    }

    /// <summary>
    /// The entries of the mapping at <paramref name="key"/>, each as a tree of its own, in file order. Their keys may
    /// contain dots (sweep parameters are named like train.lr), so they are not looked up through this tree.
    /// </summary>
    public IReadOnlyList<(string Key, ConfigTree Value)> Entries(string key)
    {
        used.Add(key);
        var value = Find(key);
        if (value == null) return [];
        if (value is not Dictionary<string, object?> map) throw new InvalidDataException($"{Source}: '{key}' must be a mapping, got '{Render(value)}'");
        // The entries are read (and their own unknown keys reported) through the trees returned here.
        foreach (var leaf in Leaves(map, key)) used.Add(leaf);
        return map.Select(p => (p.Key, p.Value is Dictionary<string, object?> child ? new ConfigTree(child, $"{Source} {key}.{p.Key}")
            : throw new InvalidDataException($"{Source}: '{key}.{p.Key}' must be a mapping, got '{Render(p.Value ?? "null")}'"))).ToList();
    }

    /// <summary>Fails on any key that no reader asked for (a typo, or an option this version does not have).</summary>
    public void RejectUnknownKeys()
    {
        var unknown = Leaves(root, "").Where(k => !used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"{Source}: unknown setting{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown)}; known settings are: {string.Join(", ", used.OrderBy(k => k))}");
    }

    /// <summary>The config with overrides applied, as YAML (saved in the run folder).</summary>
    public string ToYaml() => new SerializerBuilder().Build().Serialize(root);

    private object? Find(string key)
    {
        object? node = root;
        foreach (var part in key.Split('.'))
        {
            if (node is not Dictionary<string, object?> section || !section.TryGetValue(part, out node)) return null;
        }
        return node;
    }

    private static IEnumerable<string> Leaves(Dictionary<string, object?> node, string prefix)
    {
        foreach (var (k, v) in node)
        {
            string key = prefix.Length == 0 ? k : $"{prefix}.{k}";
            if (v is Dictionary<string, object?> child && child.Count > 0)
                foreach (var leaf in Leaves(child, key)) yield return leaf;
            else
                yield return key;
        }
    }

    private static object ConvertTo(object value, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsArray)
        {
            var items = value as List<object?> ?? throw new FormatException();
            var element = target.GetElementType()!;
            var array = Array.CreateInstance(element, items.Count);
            for (int i = 0; i < items.Count; i++) array.SetValue(ConvertTo(items[i] ?? throw new FormatException(), element), i);
            return array;
        }
        var text = value as string ?? throw new FormatException();
        if (target == typeof(string)) return text;
        if (target == typeof(bool)) return text.ToLowerInvariant() switch { "true" or "yes" or "on" => true, "false" or "no" or "off" => false, _ => throw new FormatException() };
        // A mode is written by its config name (adamw, image_folder), or its member's name in any case.
        if (target.IsEnum)
        {
            foreach (var name in Enum.GetNames(target))
                if (text == ConfigName(target, name) || string.Equals(name, text.Replace("_", ""), StringComparison.OrdinalIgnoreCase)) return Enum.Parse(target, name);
            throw new FormatException();
        }
        return Convert.ChangeType(text, target, CultureInfo.InvariantCulture);
    }

    /// <summary>An enum member's name in configs: its JSON name where it declares one (image_folder), else its name in lower case.</summary>
    private static string ConfigName(Type type, string member) =>
        type.GetField(member)!.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute), false) is [System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute named] ? named.Name : member.ToLowerInvariant();

    private static string Describe(Type t)
    {
        var target = Nullable.GetUnderlyingType(t) ?? t;
        if (target.IsArray) return $"a list of {Describe(target.GetElementType()!)}";
        if (target.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(target).Select(n => ConfigName(target, n)));
        return target == typeof(int) || target == typeof(ulong) || target == typeof(long) ? "an integer" : target == typeof(bool) ? "true or false" : target == typeof(string) ? "text" : "a number";
    }

    private static string Render(object value) => value is List<object?> l ? "[" + string.Join(", ", l.Select(v => v?.ToString())) + "]" : value.ToString() ?? "";

    private static object? ToObject(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value ?? "", p => ToObject(p.Value)),
        YamlSequenceNode seq => seq.Children.Select(ToObject).ToList(),
        YamlScalarNode scalar => scalar.Value is null or "~" or "null" && scalar.Style == YamlDotNet.Core.ScalarStyle.Plain ? null : scalar.Value,
        _ => null,
    };
}
