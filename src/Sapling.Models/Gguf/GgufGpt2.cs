using System.Text.RegularExpressions;
using Sapling.IO.Gguf;
using Sapling.Models.Gpt;
using Sapling.NN;
using Sapling.Quantization.Ggml;
using Sapling.Data.Text;
using Sapling.NN.Adapters;

namespace Sapling.Models.Gguf;

/// <summary>
/// GPT-2 models as llama.cpp's <c>gpt2</c> architecture, both ways. llama.cpp names the tensors token_embd,
/// position_embd, blk.N.attn_norm / attn_qkv / attn_output / ffn_norm / ffn_up / ffn_down and output_norm, keeps every
/// bias, ties the output layer to token_embd when output.weight is absent, and applies GELU in its tanh form (GPT-2's
/// gelu_new). Its matrices are [out, in] (one row per output), while GPT-2's Conv1D stores [in, out]: weights are
/// transposed on export, and on load a Conv1D weight is the file's matrix seen transposed, so quantised blocks are
/// used in place as for the Llama family.
/// </summary>
public static partial class GgufGpt2
{
    /// <summary>The general.architecture value of a GPT-2 GGUF file.</summary>
    public const string Architecture = "gpt2";

    private static readonly (string Gguf, string Sapling)[] LayerParts =
    [
        ("attn_norm", "ln_1"),
        ("attn_qkv", "attn.c_attn"),
        ("attn_output", "attn.c_proj"),
        ("ffn_norm", "ln_2"),
        ("ffn_up", "mlp.c_fc"),
        ("ffn_down", "mlp.c_proj"),
    ];

    /// <summary>The GGUF name of a <see cref="GptModel"/> parameter; null when llama.cpp's gpt2 has none.</summary>
    public static string? ToGguf(string name)
    {
        switch (name)
        {
            case "wte.weight": return "token_embd.weight";
            case "wpe.weight": return "position_embd.weight";
            case "ln_f.weight": return "output_norm.weight";
            case "ln_f.bias": return "output_norm.bias";
        }
        var m = SaplingLayer().Match(name);
        if (!m.Success) return null;
        foreach (var (gguf, sapling) in LayerParts)
            if (m.Groups[2].Value == sapling) return $"blk.{m.Groups[1].Value}.{gguf}.{m.Groups[3].Value}";
        return null;
    }

    /// <summary>Whether a parameter is a Conv1D weight ([in, out] here, [out, in] in the file).</summary>
    private static bool IsConv1DWeight(string name) => name.StartsWith("h.", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal)
        && (name.Contains(".c_attn.", StringComparison.Ordinal) || name.Contains(".c_proj.", StringComparison.Ordinal) || name.Contains(".c_fc.", StringComparison.Ordinal));

    /// <summary>The model's configuration from the file's gpt2.* metadata and tensor table.</summary>
    public static GptConfig ReadConfig(GgufFile file)
    {
        int Int(string key)
        {
            long v = file.GetIntegerOrNull($"{Architecture}.{key}") ?? throw new GgufFormatException(file.Path, $"metadata key '{Architecture}.{key}' is missing");
            if (v <= 0 || v > int.MaxValue) throw new GgufFormatException(file.Path, $"metadata key '{Architecture}.{key}' is {v}, not a positive size");
            return (int)v;
        }
        var embedding = file.Contains("token_embd.weight") ? file.Info("token_embd.weight") : throw new GgufFormatException(file.Path, "tensor 'token_embd.weight' is missing");
        int hidden = Int("embedding_length"), heads = Int("attention.head_count");
        if (hidden % heads != 0) throw new GgufFormatException(file.Path, $"{Architecture}.embedding_length {hidden} is not a multiple of {Architecture}.attention.head_count {heads}");
        if (file.Contains("output.weight"))
            throw new NotSupportedException($"{file.Path}: tensor 'output.weight' (an output layer apart from the token embedding) is not supported for gpt2; Sapling's GPT-2 ties them");
        return new GptConfig
        {
            VocabSize = embedding.Shape[0],
            NPositions = Int("context_length"),
            NEmbd = hidden,
            NLayer = Int("block_count"),
            NHead = heads,
            NInner = Int("feed_forward_length"),
            LayerNormEpsilon = (float)(file.GetFloatOrNull($"{Architecture}.attention.layer_norm_epsilon") ?? 1e-5),
            ActivationFunction = "gelu_new",
            EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0,
        };
    }

    /// <summary>The model in <paramref name="file"/>: weights in place (mapped), natively copied, or as trainable float32.</summary>
    public static GptModel Load(GgufFile file, WeightStorage storage)
    {
        var config = ReadConfig(file);
        GptModel model;
        using (Tensor.Meta()) model = new GptModel(config);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var (key, target) in model.StateDict())
        {
            string name = ToGguf(key) ?? throw new InvalidOperationException($"parameter '{key}' has no GGUF name");
            if (!file.Contains(name))
            {
                missing.Add(name);
                continue;
            }
            var info = file.Info(name);
            bool transposed = IsConv1DWeight(key);
            var expected = transposed ? [target.Shape[1], target.Shape[0]] : target.Shape.ToArray();
            if (!info.Shape.SequenceEqual(expected))
                throw new GgufFormatException(file.Path, $"tensor '{name}' has shape {ShapeUtil.Format(info.Shape)}, the model expects {ShapeUtil.Format(expected)}");
            if (!file.AllFinite(name)) IO.Warnings.Warn($"{file.Path}: tensor '{name}' holds NaN or infinite values; the model's outputs will not be usable");
            var use = target.Rank == 2 ? storage : WeightStorage.Float32;
            using var loaded = GgufModel.LoadTensor(file, info, use);
            if (storage != WeightStorage.Float32) target.RequiresGrad = false;
            if (!transposed) target.Set(loaded);
            else if (use == WeightStorage.Float32) using (var t = loaded.T().Contiguous()) target.Set(t);
            else target.Set(loaded.T());
            used.Add(name);
        }
        var unexpected = file.Tensors.Select(t => t.Name).Where(n => !used.Contains(n)).ToList();
        var result = new LoadStateResult(missing, unexpected);
        if (!result.IsExact) throw new GgufFormatException(file.Path, $"the tensors do not match a gpt2 model: {result.Describe()}");
        model.Eval();
        return model;
    }

    /// <summary>Writes <paramref name="model"/> (weights in ordinary memory) to <paramref name="path"/> atomically.</summary>
    /// <param name="vocabulary">The tokenizer to embed (llama.cpp needs one to load the file).</param>
    public static void Save(GptModel model, string path, string type, GgufVocabulary vocabulary, string? chatTemplate, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        type = type.ToLowerInvariant();
        var config = model.Config;
        if (model.Score != null) throw new NotSupportedException("GGUF export: GPT sequence classifiers (a score head) have no llama.cpp form; only language models are written");
        if (model.VirtualTokens > 0) throw new NotSupportedException("GGUF export: GPT models with prompt-tuning embeddings have no llama.cpp form");
        if (config.PrunedHeads is { Count: > 0 }) throw new NotSupportedException("GGUF export: a GPT with pruned attention heads has layers of different widths, which llama.cpp's gpt2 does not allow");
        if (config.Quantization != null) throw new NotSupportedException("GGUF export: the model is int8-quantized (config.json has a quantization entry); export the float model");
        if (config.ActivationFunction != "gelu_new")
            throw new NotSupportedException($"GGUF export: activation_function '{config.ActivationFunction}' is not written; llama.cpp's gpt2 applies GELU in its tanh form (gelu_new)");
        if (vocabulary.Tokens.Length > config.VocabSize)
            throw new ArgumentException($"GGUF export: the tokenizer has {vocabulary.Tokens.Length} tokens, the model's embedding only {config.VocabSize}");
        var w = new GgufWriter();
        GgufExport.AddGeneral(w, Architecture, path, type, name);
        w.Add($"{Architecture}.context_length", (uint)config.NPositions);
        w.Add($"{Architecture}.embedding_length", (uint)config.NEmbd);
        w.Add($"{Architecture}.feed_forward_length", (uint)config.Inner);
        w.Add($"{Architecture}.block_count", (uint)config.NLayer);
        w.Add($"{Architecture}.attention.head_count", (uint)config.NHead);
        w.Add($"{Architecture}.attention.layer_norm_epsilon", config.LayerNormEpsilon);
        GgufExport.AddVocabulary(w, vocabulary, config.VocabSize, null, vocabulary.EosId, config.PadTokenId);
        if (chatTemplate != null) w.Add("tokenizer.chat_template", chatTemplate);

        int downs = 0;
        foreach (var (key, tensor) in model.StateDict())
        {
            if (Lora.IsAdapterKey(key)) continue;
            string gguf = ToGguf(key) ?? throw new NotSupportedException($"GGUF export: parameter '{key}' has no llama.cpp name");
            var matrix = IsConv1DWeight(key) ? tensor.T().Contiguous() : tensor;
            // Positions are looked up, never multiplied: llama.cpp's quantiser leaves such small tables in float.
            var target = matrix.Rank == 1 || gguf == "position_embd.weight" ? GgmlType.F32
                : GgufExport.TypeFor(type, gguf, matrix.Shape[^1], tied: true, gguf.EndsWith("ffn_down.weight", StringComparison.Ordinal) ? downs++ : GgufExport.LayerOf(gguf), config.NLayer);
            GgufExport.AddTensor(w, gguf, matrix, target);
        }
        w.Save(path);
    }

    [GeneratedRegex(@"^h\.(\d+)\.(.+)\.(weight|bias)$")]
    private static partial Regex SaplingLayer();
}
