using Sapling.IO.Gguf;
using Sapling.Models.Llama;
using Sapling.NN;
using Sapling.Quantization.Ggml;
using Sapling.Data.Text;
using Sapling.NN.Adapters;

namespace Sapling.Models.Gguf;

/// <summary>
/// Writes a Llama-family or GPT-2 model as a GGUF file that llama.cpp (and LLamaSharp, Ollama, LM Studio) runs:
/// llama.cpp's tensor names and metadata (architectures llama, qwen2, qwen3 and gpt2), the tokenizer and chat
/// template, and the weight types of llama.cpp's own recipes (<c>q4_k_m</c>: Q4_K with Q6_K for the output layer and
/// for some attention-value and FFN-down layers).
/// </summary>
public static class GgufExport
{
    /// <summary>The --type values: llama.cpp's file types by their llama-quantize names.</summary>
    public static IReadOnlyList<string> FileTypes { get; } = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q6_k"];

    /// <summary>llama.cpp's general.file_type numbers (enum llama_ftype).</summary>
    private static uint FileTypeNumber(string type) => type switch
    {
        "f32" => 0, "f16" => 1, "q4_0" => 2, "q8_0" => 7, "q4_k_m" => 15, "q6_k" => 18, "bf16" => 32,
        _ => throw new ArgumentException($"GGUF type '{type}' is not supported ({string.Join(", ", FileTypes)})"),
    };

    /// <summary>
    /// Converts the model at <paramref name="modelPath"/> (a Llama-family or GPT-2 folder with tokenizer.json, or a
    /// GGUF file) to a GGUF file of <paramref name="type"/>.
    /// </summary>
    public static void Save(string modelPath, string path, string type)
    {
        FileTypeNumber(type.ToLowerInvariant());
        GgufVocabulary vocabulary;
        string? template;
        if (GgufModel.IsGgufPath(modelPath))
        {
            using var file = GgufFile.Open(modelPath);
            vocabulary = GgufModel.ReadVocabulary(file);
            template = file.GetStringOrNull("tokenizer.chat_template");
        }
        else
        {
            var tokenizerPath = Path.Combine(modelPath, "tokenizer.json");
            var sentencePiecePath = Path.Combine(modelPath, "tokenizer.model");
            if (File.Exists(tokenizerPath))
            {
                var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(tokenizerPath)) as System.Text.Json.Nodes.JsonObject
                    ?? throw new InvalidDataException($"{tokenizerPath}: not a JSON object");
                vocabulary = GgufVocabulary.FromTokenizerJson(root, tokenizerPath);
            }
            else if (File.Exists(sentencePiecePath))
            {
                // A Llama 1/2 folder with only its SentencePiece model: the pieces go over as they are, <s> first.
                var (bos, eos) = ModelRegistry.SpecialTokensAdded(modelPath);
                vocabulary = SentencePieceModel.Read(sentencePiecePath).ToGgufVocabulary(bos, eos, sentencePiecePath);
            }
            else throw new FileNotFoundException($"GGUF export: '{modelPath}' has no tokenizer.json or tokenizer.model, and a GGUF file must carry its tokenizer", tokenizerPath);
            template = ChatTemplate.Load(modelPath)?.Source;
        }
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath)));
        // GPT-2's Conv1D weights are transposed on the way out, which needs them in ordinary memory.
        switch (ModelRegistry.LoadLanguageModel(modelPath, GgufModel.IsGgufPath(modelPath) ? WeightStorage.Mapped : WeightStorage.Float32))
        {
            case LlamaForCausalLM llama:
                Save(llama, path, type, vocabulary, template, name);
                break;
            case Gpt.GptModel gpt:
                GgufGpt2.Save(gpt, path, type, vocabulary, template, name);
                break;
            case var other:
                throw new NotSupportedException($"GGUF export: '{modelPath}' holds a {other.ModelType} model; GGUF files are written for the Llama family (llama, mistral, qwen2, qwen3) and GPT-2");
        }
    }

    /// <summary>general.* keys every file carries.</summary>
    internal static void AddGeneral(GgufWriter w, string arch, string path, string type, string? name)
    {
        w.Add("general.architecture", arch);
        w.Add("general.name", name ?? Path.GetFileNameWithoutExtension(path));
        w.Add("general.file_type", FileTypeNumber(type));
        if (type is not ("f32" or "f16" or "bf16")) w.Add("general.quantization_version", 2u);
    }

    /// <summary>A weight matrix [out, in] (or a vector) as a GGUF tensor of <paramref name="type"/>, encoded when the file is written.</summary>
    internal static void AddTensor(GgufWriter w, string name, Tensor tensor, GgmlType type, int permutedHeads = 0, int headDim = 0) =>
        w.AddTensor(name, tensor.Shape.ToArray(), type, () => Encode(tensor, type, permutedHeads, headDim));

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="vocabulary">The tokenizer to embed (llama.cpp needs one to load the file).</param>
    /// <param name="chatTemplate">tokenizer.chat_template, when the model has one.</param>
    public static void Save(LlamaForCausalLM model, string path, string type, GgufVocabulary vocabulary, string? chatTemplate, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        type = type.ToLowerInvariant();
        FileTypeNumber(type);
        var config = model.Config;
        if (config.SlidingWindow != null)
            throw new NotSupportedException($"GGUF export: a {config.ModelType} model with sliding-window attention has no llama.cpp form here (llama.cpp's llama architecture attends to every earlier token)");
        if (config.RopeScaling.Type is not (RopeType.Default or RopeType.Linear or RopeType.Yarn))
            throw new NotSupportedException($"GGUF export: rope scaling '{config.RopeScaling.Type}' is not written (default, linear and yarn are)");
        if (vocabulary.Tokens.Length > config.VocabSize)
            throw new ArgumentException($"GGUF export: the tokenizer has {vocabulary.Tokens.Length} tokens, the model's embedding only {config.VocabSize}");
        string arch = config.ModelType == "mistral" ? "llama" : config.ModelType;
        var w = new GgufWriter();
        AddGeneral(w, arch, path, type, name);
        w.Add($"{arch}.vocab_size", (uint)config.VocabSize);
        w.Add($"{arch}.context_length", (uint)config.MaxPositionEmbeddings);
        w.Add($"{arch}.embedding_length", (uint)config.HiddenSize);
        w.Add($"{arch}.block_count", (uint)config.NumHiddenLayers);
        w.Add($"{arch}.feed_forward_length", (uint)config.IntermediateSize);
        w.Add($"{arch}.attention.head_count", (uint)config.NumAttentionHeads);
        w.Add($"{arch}.attention.head_count_kv", (uint)config.NumKeyValueHeads);
        w.Add($"{arch}.attention.key_length", (uint)config.HeadDim);
        w.Add($"{arch}.attention.value_length", (uint)config.HeadDim);
        w.Add($"{arch}.rope.dimension_count", (uint)config.HeadDim);
        w.Add($"{arch}.rope.freq_base", (float)config.RopeTheta);
        w.Add($"{arch}.attention.layer_norm_rms_epsilon", config.RmsNormEps);
        if (config.RopeScaling.Type != RopeType.Default)
        {
            w.Add($"{arch}.rope.scaling.type", config.RopeScaling.Type == RopeType.Linear ? "linear" : "yarn");
            w.Add($"{arch}.rope.scaling.factor", (float)config.RopeScaling.Factor);
            if (config.RopeScaling.OriginalMaxPositionEmbeddings is int original) w.Add($"{arch}.rope.scaling.original_context_length", (uint)original);
        }
        AddVocabulary(w, vocabulary, config.VocabSize, config.BosTokenId, config.EosTokenIds.Length > 0 ? config.EosTokenIds[0] : null, config.PadTokenId);
        if (chatTemplate != null) w.Add("tokenizer.chat_template", chatTemplate);

        var state = model.StateDict().Where(e => !Lora.IsAdapterKey(e.Key)).ToList();
        bool tied = config.TieWordEmbeddings;
        int attentionValues = 0, layerCount = config.NumHiddenLayers;
        foreach (var (key, tensor) in state)
        {
            string gguf = GgufTensorNames.ToGguf(key) ?? throw new NotSupportedException($"GGUF export: parameter '{key}' has no llama.cpp name");
            int layer = LayerOf(gguf);
            var target = tensor.Rank == 1 ? GgmlType.F32
                : TypeFor(type, gguf, tensor.Shape[^1], tied, gguf.EndsWith("attn_v.weight", StringComparison.Ordinal) ? attentionValues++ : layer, layerCount);
            AddTensor(w, gguf, tensor, target, GgufModel.RotaryPermutedHeads(config, gguf), config.HeadDim);
        }
        w.Save(path);
    }

    internal static int LayerOf(string gguf) =>
        gguf.StartsWith("blk.", StringComparison.Ordinal) ? int.Parse(gguf.AsSpan(4, gguf.IndexOf('.', 4) - 4), System.Globalization.CultureInfo.InvariantCulture) : -1;

    /// <summary>
    /// The type llama.cpp's quantiser gives a weight matrix for a file type (a fused attn_qkv, GPT-2's, takes Q5_K in
    /// q4_k_m). K-quants need rows of whole 256-element blocks; where a row is not, llama.cpp falls back (Q4_K → Q5_0,
    /// Q5_K → Q5_1, Q6_K → Q8_0), and so does this.
    /// </summary>
    internal static GgmlType TypeFor(string fileType, string name, int rowLength, bool tied, int index, int count)
    {
        bool output = name == "output.weight" || (tied && name == "token_embd.weight");
        // llama.cpp's use_more_bits: the first and last eighth of the layers, and every third in between.
        bool moreBits = index < count / 8 || index >= 7 * count / 8 || (index - count / 8) % 3 == 2;
        var type = fileType switch
        {
            "f32" => GgmlType.F32,
            "f16" => GgmlType.F16,
            "bf16" => GgmlType.BF16,
            "q8_0" => GgmlType.Q8_0,
            "q4_0" => output ? GgmlType.Q6_K : GgmlType.Q4_0,
            "q6_k" => GgmlType.Q6_K,
            "q4_k_m" => output ? GgmlType.Q6_K
                : name.EndsWith("attn_qkv.weight", StringComparison.Ordinal) ? GgmlType.Q5_K
                : (name.EndsWith("attn_v.weight", StringComparison.Ordinal) || name.EndsWith("ffn_down.weight", StringComparison.Ordinal)) && moreBits ? GgmlType.Q6_K
                : GgmlType.Q4_K,
            _ => throw new ArgumentException($"GGUF type '{fileType}' is not supported"),
        };
        if (rowLength % type.BlockSize() == 0) return type;
        return type switch
        {
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q5_K => GgmlType.Q5_1,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => GgmlType.F16,
        } is var fallback && rowLength % fallback.BlockSize() == 0 ? fallback : GgmlType.F16;
    }

    /// <summary>The tensor's bytes in <paramref name="type"/>, q/k rows reordered for llama.cpp's pairwise rotation when asked.</summary>
    private static byte[] Encode(Tensor tensor, GgmlType type, int permutedHeads, int headDim)
    {
        int rows = tensor.Rank == 1 ? 1 : tensor.Shape[0];
        int cols = tensor.Rank == 1 ? tensor.Shape[0] : tensor.Shape[1];
        if (tensor.Rank == 1 && permutedHeads > 0) (rows, cols) = (cols, 1);
        var values = FloatValues(tensor);
        int rowBytes = checked((int)type.ByteCount(cols));
        var bytes = new byte[checked((long)rowBytes * rows)];
        if (permutedHeads > 0 && rows != permutedHeads * headDim)
            throw new InvalidOperationException($"GGUF export: {rows} rows are not {permutedHeads} heads of {headDim}");
        if (cols % type.BlockSize() != 0) throw new InvalidOperationException($"GGUF export: rows of {cols} are not whole {type.Name()} blocks");
        Parallel.For(0, rows, r =>
        {
            int from = permutedHeads > 0 ? GgufModel.HuggingFaceRow(r, headDim) : r;
            GgmlBlocks.Quantize(type, values.AsSpan(from * cols, cols), bytes.AsSpan(r * rowBytes, rowBytes));
        });
        return bytes;
    }

    /// <summary>The tensor's values as float32, from any storage and stored type (block types dequantised).</summary>
    private static unsafe float[] FloatValues(Tensor tensor)
    {
        if (!tensor.DType.IsBlockQuantized())
        {
            // To returns the tensor itself when it is float32 already: only a converted copy is disposed here.
            var f = tensor.To(DType.Float32);
            try
            {
                return f.ToArray<float>();
            }
            finally
            {
                if (!ReferenceEquals(f, tensor)) f.Dispose();
            }
        }
        var values = new float[tensor.NumEl];
        using var pin = tensor.Storage.Pin();
        long bytes = tensor.DType.StorageBytes(tensor.NumEl);
        GgmlBlocks.Dequantize(tensor.DType.ToGgml(), new ReadOnlySpan<byte>((byte*)pin.Pointer + tensor.DType.StorageBytes(tensor.Offset), checked((int)bytes)), values);
        return values;
    }

    /// <summary>tokenizer.ggml.*: one token per embedding row (<paramref name="vocabSize"/>), the model's special ids before the tokenizer's.</summary>
    internal static void AddVocabulary(GgufWriter w, GgufVocabulary v, int vocabSize, int? bosId, int? eosId, int? padId)
    {
        w.Add("tokenizer.ggml.model", v.Model);
        if (v.Pre != null) w.Add("tokenizer.ggml.pre", v.Pre);
        // llama.cpp expects one token per embedding row; rows past the tokenizer's ids get unused placeholders.
        var tokens = v.Tokens;
        var types = v.Types ?? Enumerable.Repeat(GgufVocabulary.TokenType.Normal, tokens.Length).ToArray();
        var scores = v.Scores;
        if (tokens.Length < vocabSize)
        {
            int n = tokens.Length;
            tokens = [.. tokens, .. Enumerable.Range(n, vocabSize - n).Select(i => $"[PAD{i}]")];
            types = [.. types, .. Enumerable.Repeat(GgufVocabulary.TokenType.Unused, vocabSize - n)];
            if (scores != null) scores = [.. scores, .. Enumerable.Repeat(-1e9f, vocabSize - n)];
        }
        w.Add("tokenizer.ggml.tokens", tokens);
        w.Add("tokenizer.ggml.token_type", Array.ConvertAll(types, t => (int)t));
        if (scores != null) w.Add("tokenizer.ggml.scores", scores);
        // llama.cpp refuses a gpt2 vocabulary without merges, even an empty list.
        if (v.Model == "gpt2") w.Add("tokenizer.ggml.merges", v.Merges ?? []);
        int? bos = v.BosId ?? bosId;
        int? eos = eosId ?? v.EosId;
        if (bos is int b) w.Add("tokenizer.ggml.bos_token_id", (uint)b);
        if (eos is int e) w.Add("tokenizer.ggml.eos_token_id", (uint)e);
        if (v.UnknownId is int u) w.Add("tokenizer.ggml.unknown_token_id", (uint)u);
        if ((v.PaddingId ?? padId) is int p) w.Add("tokenizer.ggml.padding_token_id", (uint)p);
        w.Add("tokenizer.ggml.add_bos_token", v.AddBos);
        w.Add("tokenizer.ggml.add_eos_token", v.AddEos);
        if (v.Model == "llama") w.Add("tokenizer.ggml.add_space_prefix", v.AddSpacePrefix);
    }
}
