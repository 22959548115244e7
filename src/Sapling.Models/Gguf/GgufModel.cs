using Sapling.IO.Gguf;
using Sapling.Memory;
using Sapling.Models.Llama;
using Sapling.Quantization.Ggml;
using Sapling.NN;
using Sapling.Data.Text;

namespace Sapling.Models.Gguf;

/// <summary>
/// Llama-family models from GGUF files, as llama.cpp runs them: architectures <c>llama</c> (Llama 2/3, TinyLlama,
/// Mistral), <c>qwen2</c> and <c>qwen3</c>; the tokenizer and chat template from the file's metadata. Weight matrices
/// stay in the file's type — quantised blocks are multiplied as such — and are used in place from the mapping by
/// default (<see cref="WeightStorage"/>).
/// </summary>
/// <remarks>
/// llama.cpp rotates query/key pairs (2i, 2i + 1) for <c>llama</c>, and its converter reorders the rows of each q and
/// k head so that this equals Hugging Face's rotation of halves (i, i + d/2). Sapling rotates halves, so those rows
/// are put back in Hugging Face's order on load (a copy of q and k in their stored type) and reordered again on export.
/// </remarks>
public static class GgufModel
{
    /// <summary>The general.architecture values Sapling reads: the Llama family's, and gpt2 (<see cref="GgufGpt2"/>).</summary>
    public static IReadOnlyList<string> Architectures { get; } = ["llama", "qwen2", "qwen3", GgufGpt2.Architecture];

    /// <summary>True for a path that names a .gguf file.</summary>
    public static bool IsGgufPath(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && File.Exists(path);

    /// <summary>The model's configuration from the file's metadata and tensor table.</summary>
    public static LlamaConfig ReadConfig(GgufFile file)
    {
        string arch = file.GetString("general.architecture");
        if (!Architectures.Contains(arch) || arch == GgufGpt2.Architecture)
            throw new NotSupportedException($"{file.Path}: general.architecture '{arch}' is not a Llama-family architecture (Sapling reads {string.Join(", ", Architectures)}; gpt2 through LoadLanguageModel)");
        if (file.Contains("rope_freqs.weight"))
            throw new NotSupportedException($"{file.Path}: tensor 'rope_freqs.weight' (per-frequency rotary factors, Llama 3.1's long-context scaling) is not supported yet");
        int Int(string key, int? fallback = null)
        {
            long? v = file.GetIntegerOrNull($"{arch}.{key}");
            if (v == null) return fallback ?? throw new GgufFormatException(file.Path, $"metadata key '{arch}.{key}' is missing");
            if (v <= 0 || v > int.MaxValue) throw new GgufFormatException(file.Path, $"metadata key '{arch}.{key}' is {v}, not a positive size");
            return (int)v;
        }
        int hidden = Int("embedding_length"), heads = Int("attention.head_count");
        var embedding = file.Contains("token_embd.weight") ? file.Info("token_embd.weight") : throw new GgufFormatException(file.Path, "tensor 'token_embd.weight' is missing");
        bool Has(string name) => file.Contains(name);
        string? scaling = file.GetStringOrNull($"{arch}.rope.scaling.type");
        var rope = scaling switch
        {
            null or "none" => RopeScaling.None,
            "linear" => new RopeScaling { Type = RopeType.Linear, Factor = file.GetFloat($"{arch}.rope.scaling.factor") },
            "yarn" => new RopeScaling
            {
                Type = RopeType.Yarn,
                Factor = file.GetFloat($"{arch}.rope.scaling.factor"),
                OriginalMaxPositionEmbeddings = (int?)file.GetIntegerOrNull($"{arch}.rope.scaling.original_context_length"),
            },
            _ => throw new NotSupportedException($"{file.Path}: {arch}.rope.scaling.type '{scaling}' is not supported (none, linear, yarn)"),
        };
        var eos = new List<int>();
        foreach (var key in new[] { "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" })
            if (file.GetIntegerOrNull(key) is long id && !eos.Contains((int)id)) eos.Add((int)id);
        int headDim = Int("attention.key_length", hidden / heads);
        if (Int("attention.value_length", headDim) != headDim)
            throw new NotSupportedException($"{file.Path}: {arch}.attention.value_length differs from key_length, which the Llama family does not do");
        int rotated = Int("rope.dimension_count", headDim);
        if (rotated != headDim)
            throw new NotSupportedException($"{file.Path}: {arch}.rope.dimension_count is {rotated}, but only rotating the whole head ({headDim}) is supported");
        var config = new LlamaConfig
        {
            ModelType = arch,
            Architectures = [arch switch { "qwen2" => "Qwen2ForCausalLM", "qwen3" => "Qwen3ForCausalLM", _ => "LlamaForCausalLM" }],
            VocabSize = embedding.Shape[0],
            HiddenSize = hidden,
            IntermediateSize = Int("feed_forward_length"),
            NumHiddenLayers = Int("block_count"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = Int("attention.head_count_kv", heads),
            HeadDim = headDim,
            MaxPositionEmbeddings = Int("context_length", 2048),
            RmsNormEps = (float)(file.GetFloatOrNull($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5),
            RopeTheta = file.GetFloatOrNull($"{arch}.rope.freq_base") ?? 10000.0,
            RopeScaling = rope,
            TieWordEmbeddings = !Has("output.weight"),
            QkvBias = Has("blk.0.attn_q.bias"),
            OutputBias = Has("blk.0.attn_output.bias"),
            MlpBias = Has("blk.0.ffn_gate.bias"),
            QkNorm = Has("blk.0.attn_q_norm.weight"),
            BosTokenId = (int?)file.GetIntegerOrNull("tokenizer.ggml.bos_token_id"),
            EosTokenIds = eos.ToArray(),
            PadTokenId = (int?)file.GetIntegerOrNull("tokenizer.ggml.padding_token_id"),
            TorchDtype = null,
        };
        if (arch == "qwen2" && !config.QkvBias)
            throw new GgufFormatException(file.Path, "a qwen2 model has biases on q, k and v, but tensor 'blk.0.attn_q.bias' is missing");
        config.Validate(file.Path);
        return config;
    }

    /// <summary>The language model in <paramref name="path"/>, whatever its architecture: a Llama-family model or a GPT-2.</summary>
    public static ICausalLM LoadLanguageModel(string path, WeightStorage storage = WeightStorage.Native)
    {
        using var file = GgufFile.Open(path, inMemory: storage == WeightStorage.Native);
        return file.GetString("general.architecture") == GgufGpt2.Architecture ? GgufGpt2.Load(file, storage) : Load(file, storage);
    }

    /// <summary>Loads the Llama-family model in <paramref name="path"/>; weights used in the file read into memory (native, the default), in the mapped file, or dequantised to trainable float32.</summary>
    public static LlamaForCausalLM Load(string path, WeightStorage storage = WeightStorage.Native)
    {
        using var file = GgufFile.Open(path, inMemory: storage == WeightStorage.Native);
        return Load(file, storage);
    }

    private static LlamaForCausalLM Load(GgufFile file, WeightStorage storage)
    {
        var config = ReadConfig(file);
        LlamaForCausalLM model;
        using (Tensor.Meta()) model = new LlamaForCausalLM(config);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var (key, target) in model.StateDict())
        {
            string name = GgufTensorNames.ToGguf(key) ?? throw new InvalidOperationException($"parameter '{key}' has no GGUF name");
            if (!file.Contains(name))
            {
                missing.Add(name);
                continue;
            }
            var info = file.Info(name);
            if (!info.Shape.SequenceEqual(target.Shape))
                throw new GgufFormatException(file.Path, $"tensor '{name}' has shape {ShapeUtil.Format(info.Shape)}, the model expects {ShapeUtil.Format(target.Shape.ToArray())}");
            // One pass over the values (block scales for quantised types): a file holding NaN is named now, not
            // discovered as nonsense text later.
            if (!file.AllFinite(name)) IO.Warnings.Warn($"{file.Path}: tensor '{name}' holds NaN or infinite values; the model's outputs will not be usable");
            int permuteHeads = RotaryPermutedHeads(config, name);
            using var loaded = LoadTensor(file, info, target.Rank == 2 ? storage : WeightStorage.Float32, permuteHeads, config.HeadDim);
            if (storage != WeightStorage.Float32) target.RequiresGrad = false;
            target.Set(loaded);
            used.Add(name);
        }
        var unexpected = file.Tensors.Select(t => t.Name).Where(n => !used.Contains(n)).ToList();
        var result = new LoadStateResult(missing, unexpected);
        if (!result.IsExact) throw new GgufFormatException(file.Path, $"the tensors do not match a {config.ModelType} model: {result.Describe()}");
        model.Eval();
        return model;
    }

    /// <summary>Heads whose rows llama.cpp reordered for its pairwise rotation: q and k of the llama architecture; 0 otherwise.</summary>
    internal static int RotaryPermutedHeads(LlamaConfig config, string ggufName)
    {
        if (config.ModelType != "llama" || !ggufName.EndsWith(".weight", StringComparison.Ordinal) && !ggufName.EndsWith(".bias", StringComparison.Ordinal)) return 0;
        if (ggufName.Contains(".attn_q.", StringComparison.Ordinal)) return config.NumAttentionHeads;
        if (ggufName.Contains(".attn_k.", StringComparison.Ordinal)) return config.NumKeyValueHeads;
        return 0;
    }

    /// <summary>
    /// Row <paramref name="row"/> of a head-major q/k weight in llama.cpp's order holds Hugging Face's row
    /// <see cref="HuggingFaceRow"/>: within a head of d rows, llama.cpp's row 2i + j is Hugging Face's row j·d/2 + i.
    /// </summary>
    internal static int HuggingFaceRow(int row, int headDim)
    {
        int head = row / headDim, within = row % headDim;
        return head * headDim + (within % 2) * (headDim / 2) + within / 2;
    }

    /// <summary>A tensor in the asked storage (mapped, native or float32), q/k rows put back in Hugging Face's order when <paramref name="permuteHeads"/> is not 0.</summary>
    internal static Tensor LoadTensor(GgufFile file, GgufTensorInfo info, WeightStorage storage, int permuteHeads = 0, int headDim = 0)
    {
        int rows = info.Shape[0];
        if (permuteHeads != 0 && rows != permuteHeads * headDim)
            throw new GgufFormatException(file.Path, $"tensor '{info.Name}' has {rows} rows, not {permuteHeads} heads of {headDim}");
        // Native storage uses the file read into memory (or mapped, where it did not fit).
        if (permuteHeads == 0 || storage != WeightStorage.Float32 && file.InMemory)
        {
            // Quantised rows are whole blocks, so in memory the rows move as bytes in their stored type.
            if (permuteHeads != 0) file.ReorderRows(info.Name, r => HuggingFaceRow(r, headDim));
            return storage == WeightStorage.Float32 ? file.Load(info.Name) : file.Map(info.Name);
        }
        long rowElements = info.ElementCount / rows;
        if (storage == WeightStorage.Float32)
        {
            using var stored = file.Load(info.Name);
            var result = Tensor.Empty(info.Shape);
            var from = stored.AsReadOnlySpan<float>();
            var to = result.AsSpan<float>();
            for (int r = 0; r < rows; r++)
                from.Slice((int)(r * rowElements), (int)rowElements).CopyTo(to.Slice((int)(HuggingFaceRow(r, headDim) * rowElements), (int)rowElements));
            return result;
        }
        // Quantised rows are whole blocks, so rows move as bytes in their stored type.
        var bytes = file.Bytes(info.Name);
        var native = new NativeStorage(info.Type.ToDType()!.Value, (int)info.ElementCount);
        var destination = native.Bytes;
        int rowBytes = bytes.Length / rows;
        for (int r = 0; r < rows; r++)
            bytes.Slice(r * rowBytes, rowBytes).CopyTo(destination.Slice(HuggingFaceRow(r, headDim) * rowBytes, rowBytes));
        return Tensor.FromStorage(native, info.Shape);
    }

    /// <summary>The tokenizer stored in the file's tokenizer.ggml.* metadata.</summary>
    public static GgufVocabulary ReadVocabulary(GgufFile file)
    {
        string model = file.GetStringOrNull("tokenizer.ggml.model") ?? throw new GgufFormatException(file.Path, "the file carries no tokenizer (tokenizer.ggml.model is missing)");
        var tokens = file.GetStringArrayOrNull("tokenizer.ggml.tokens") ?? throw new GgufFormatException(file.Path, "metadata key 'tokenizer.ggml.tokens' is missing");
        GgufVocabulary.TokenType[]? types = null;
        if (file.GetArrayOrNull("tokenizer.ggml.token_type") is { } t)
        {
            if (t.Values is not long[] raw) throw new GgufFormatException(file.Path, "metadata key 'tokenizer.ggml.token_type' is not an integer array");
            types = new GgufVocabulary.TokenType[raw.Length];
            for (int i = 0; i < raw.Length; i++)
                types[i] = raw[i] is >= 0 and <= 6 ? (GgufVocabulary.TokenType)raw[i] : throw new GgufFormatException(file.Path, $"tokenizer.ggml.token_type[{i}] is {raw[i]}, not a llama.cpp token type (0-6)");
        }
        float[]? scores = null;
        if (file.GetArrayOrNull("tokenizer.ggml.scores") is { } s)
        {
            if (s.Values is not double[] raw) throw new GgufFormatException(file.Path, "metadata key 'tokenizer.ggml.scores' is not a float array");
            scores = Array.ConvertAll(raw, v => (float)v);
        }
        int? Id(string key) => file.GetIntegerOrNull(key) is long v ? (int)Math.Clamp(v, -1, int.MaxValue) : null;
        return new GgufVocabulary
        {
            Model = model,
            Pre = file.GetStringOrNull("tokenizer.ggml.pre"),
            Tokens = tokens,
            Types = types,
            Scores = scores,
            Merges = file.GetStringArrayOrNull("tokenizer.ggml.merges"),
            BosId = Id("tokenizer.ggml.bos_token_id"),
            EosId = Id("tokenizer.ggml.eos_token_id"),
            UnknownId = Id("tokenizer.ggml.unknown_token_id"),
            PaddingId = Id("tokenizer.ggml.padding_token_id"),
            AddBos = file.GetBoolOrNull("tokenizer.ggml.add_bos_token") ?? model == "llama",
            AddEos = file.GetBoolOrNull("tokenizer.ggml.add_eos_token") ?? false,
            AddSpacePrefix = file.GetBoolOrNull("tokenizer.ggml.add_space_prefix") ?? true,
        };
    }

    /// <summary>
    /// The tokenizer stored in the GGUF file at <paramref name="path"/> (its tokenizer.ggml.* entries).
    /// </summary>
    public static ITokenizer LoadTokenizer(string path)
    {
        using var file = GgufFile.Open(path);
        return ReadVocabulary(file).ToTokenizer(file.Path);
    }

    /// <summary>tokenizer.chat_template with the file's control tokens as its special tokens; null when the file has none.</summary>
    public static ChatTemplate? LoadChatTemplate(string path)
    {
        using var file = GgufFile.Open(path);
        string? source = file.GetStringOrNull("tokenizer.chat_template");
        if (source == null) return null;
        var vocabulary = ReadVocabulary(file);
        string? Token(int? id) => id is int i && i >= 0 && i < vocabulary.Tokens.Length ? vocabulary.Tokens[i] : null;
        var specials = new List<string>();
        for (int i = 0; i < vocabulary.Tokens.Length; i++)
            if (vocabulary.Types?[i] == GgufVocabulary.TokenType.Control) specials.Add(vocabulary.Tokens[i]);
        return new ChatTemplate(source, Token(vocabulary.BosId), Token(vocabulary.EosId), specials, Token(vocabulary.PaddingId), Token(vocabulary.UnknownId));
    }
}
