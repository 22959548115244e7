using System.Runtime.InteropServices;
using System.Text;
using LLama.Exceptions;
using LLama.Native;

namespace Sapling.LlamaCpp;

/// <summary>
/// llama.cpp (the native library shipped by LLamaSharp.Backend.Cpu, driven through LLamaSharp's low-level API) as a
/// deterministic peer and oracle for GGUF files: its tokenizer, greedy continuations, raw logits, its quantiser and
/// the metadata it read. Every call loads what it needs and disposes every native handle before returning; nothing
/// random or penalised is involved (no samplers: argmax over the raw logits, lowest id on ties).
/// llama.cpp's own logging is captured, not printed (set <c>SAPLING_LLAMACPP_LOG=1</c> to echo it to stderr); the
/// last lines are appended to the message of any load failure.
/// </summary>
public static class LlamaCppPeer
{
    private static readonly object Gate = new();
    private static bool? _loaded;
    private static string _whyNot = "";

    /// <summary>
    /// Whether the native llama.cpp library loads in this process (LLamaSharp picks the best CPU build under
    /// <c>runtimes/linux-x64/native/{avx512,avx2,avx,noavx}</c> next to the assembly). The answer is cached: the
    /// native library can be loaded only once per process.
    /// </summary>
    public static bool TryLoad(out string whyNot)
    {
        lock (Gate)
        {
            if (_loaded is null)
            {
                try
                {
                    // Before the library loads this only records the callback in NativeLibraryConfig (so LLamaSharp's
                    // own loader messages are captured too); afterwards it calls llama_log_set directly, which in
                    // llama.cpp also sets ggml's log callback. null would restore llama.cpp's default stderr logger.
                    NativeLogConfig.llama_log_set(NativeLog.Callback);
                    // The first call into NativeApi runs its static constructor: choose and load libllama (+ libggml*),
                    // install the log callback, llama_backend_init().
                    NativeApi.llama_empty_call();
                    _loaded = true;
                }
                catch (Exception e)
                {
                    _loaded = false;
                    var sb = new StringBuilder();
                    for (Exception? x = e; x is not null; x = x.InnerException)
                        sb.Append(x.GetType().Name).Append(": ").Append(x.Message.Trim()).Append(" | ");
                    _whyNot = sb.Append("llama.cpp log: ").Append(NativeLog.Tail(20)).ToString();
                }
            }
            whyNot = _loaded.Value ? "" : _whyNot;
            return _loaded.Value;
        }
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> with the reason when llama.cpp does not load here.</summary>
    public static void EnsureLoaded()
    {
        if (!TryLoad(out var why))
            throw new InvalidOperationException("llama.cpp (LLamaSharp.Backend.Cpu) does not load here: " + why);
    }

    /// <summary>The last lines llama.cpp and LLamaSharp's loader logged in this process (warnings and errors marked).</summary>
    public static string RecentLog(int lines = 50) => NativeLog.Tail(lines);

    /// <summary>
    /// Full path of a native library loaded in this process (from /proc/self/maps), e.g. "libllama.so" or
    /// "libggml-base.so" after <see cref="TryLoad"/>; null when none is mapped. Use it with
    /// <see cref="NativeLibrary.Load(string)"/> + <see cref="NativeLibrary.GetExport"/> to call functions that
    /// LLamaSharp does not expose, without installing a DllImport resolver.
    /// </summary>
    public static string? LoadedLibraryPath(string fileName)
    {
        if (!File.Exists("/proc/self/maps"))
            return null;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash < 0)
                continue;
            var path = line[slash..].Trim();
            if (Path.GetFileName(path) == fileName)
                return path;
        }
        return null;
    }

    /// <summary>llama_tokenize with the file's own vocabulary (loaded vocab-only). <paramref name="addBos"/> is llama.cpp's
    /// add_special (adds BOS/EOS as the file's tokenizer.ggml.add_bos_token / add_eos_token say); <paramref
    /// name="parseSpecial"/> lets special-token text such as "&lt;|endoftext|&gt;" become its token.</summary>
    public static int[] Tokenize(string ggufPath, string text, bool addBos, bool parseSpecial)
    {
        using var model = LlamaCppModel.Load(ggufPath, vocabOnly: true);
        return model.Tokenize(text, addBos, parseSpecial);
    }

    /// <summary>llama_detokenize with the file's vocabulary. By default control tokens (BOS/EOS, ...) render as nothing
    /// (unparse_special = false) and nothing is removed (remove_special = false).</summary>
    public static string Detokenize(string ggufPath, int[] ids, bool removeSpecial = false, bool unparseSpecial = false)
    {
        using var model = LlamaCppModel.Load(ggufPath, vocabOnly: true);
        return model.Detokenize(ids, removeSpecial, unparseSpecial);
    }

    /// <summary>
    /// Greedy continuation: loads the model (CPU only, mmap), makes a context of prompt + newTokens positions,
    /// decodes the prompt in one llama_decode call (logits for the last position only), then up to
    /// <paramref name="newTokens"/> times takes the argmax of the logits (lowest id wins ties), appends it and feeds it
    /// back as a one-token batch. It stops early only when the chosen token is one of the model's end-of-generation
    /// tokens (llama_vocab_is_eog: EOS, EOT, ...); that token is included in the result. Returns only the new ids.
    /// <paramref name="exact"/>: see <see cref="LastLogits"/>.
    /// </summary>
    /// <param name="promptOneByOne">Feed the prompt one token per llama_decode call instead of one batch (llama.cpp's
    /// batched products may take other kernels than its one-row ones).</param>
    public static int[] GreedyContinuation(string ggufPath, int[] promptIds, int newTokens, int threads = 2, bool exact = false, bool promptOneByOne = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(newTokens);
        using var model = LlamaCppModel.Load(ggufPath, repack: !exact);
        using var ctx = model.CreateContext(promptIds.Length + newTokens, promptIds.Length, threads, exact);
        if (promptOneByOne)
            for (int i = 0; i < promptIds.Length; i++) ctx.Decode([promptIds[i]], i);
        else
            ctx.Decode(promptIds, 0);
        var output = new List<int>(newTokens);
        int pos = promptIds.Length;
        for (int i = 0; i < newTokens; i++)
        {
            int next = ArgMax(ctx.LastLogits());
            output.Add(next);
            if (model.IsEndOfGeneration(next) || i == newTokens - 1)
                break;
            ctx.Decode([next], pos++);
        }
        return output.ToArray();
    }

    /// <summary>The logits (n_vocab floats, before any softmax) at the last prompt position, after decoding the prompt
    /// in one batch with a fresh context. By default llama.cpp keeps the KV cache in F16 and (flash attention "auto"
    /// on CPU) rounds Q to F16 in attention, which moves the logits of an F32 model by ~3e-3 from a float32 forward;
    /// <paramref name="exact"/> = F32 KV cache and flash attention off (then a float64 reference agrees to ~1e-5), and
    /// the weights not repacked (llama.cpp's repacked Q4_0/Q4_K kernels quantise activations in their own layout and
    /// round differently from its plain ones, which follow the block formats' own rules).</summary>
    public static float[] LastLogits(string ggufPath, int[] promptIds, int threads = 2, bool exact = false)
    {
        using var model = LlamaCppModel.Load(ggufPath, repack: !exact);
        using var ctx = model.CreateContext(promptIds.Length, promptIds.Length, threads, exact);
        ctx.Decode(promptIds, 0);
        return ctx.LastLogits().ToArray();
    }

    /// <summary>Index of the largest value; the lowest index wins ties (NaN never wins).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best])
                best = i;
        return best;
    }

    /// <summary>
    /// llama_model_quantize (what LLamaSharp's LLamaQuantizer.Quantize calls; called through NativeApi directly because
    /// LLamaQuantizer refuses types such as bf16). <paramref name="type"/> is a llama.cpp file type name without its
    /// prefix, case-insensitive: "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q4_k_s", "q5_k_m", "q6_k", "q2_k",
    /// "q3_k_m", "f16", "bf16", "f32", "iq4_nl", ... <paramref name="quantizeOutput"/> is llama.cpp's
    /// quantize_output_tensor (true in llama.cpp and llama-quantize; LLamaQuantizer's default is false). Rows whose
    /// length is not a multiple of the type's block (32; 256 for K-quants) get llama.cpp's fallback type (logged).
    /// </summary>
    public static void Quantize(string srcGguf, string dstGguf, string type, int threads = 2, bool quantizeOutput = true)
    {
        EnsureLoaded();
        if (!File.Exists(srcGguf))
            throw new FileNotFoundException($"GGUF file to quantise not found: {srcGguf}", srcGguf);
        var p = LLamaModelQuantizeParams.Default();
        p.ftype = ParseFileType(type);
        p.nthread = threads;
        p.allow_requantize = true;
        p.quantize_output_tensor = quantizeOutput;
        NativeLog.Mark();
        uint rc;
        try
        {
            rc = NativeApi.llama_model_quantize(srcGguf, dstGguf, ref p);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"llama.cpp failed to quantise '{srcGguf}' to {type} ('{dstGguf}'): {e.Message} | llama.cpp log: {NativeLog.SinceMark()}", e);
        }
        if (rc != 0)
            throw new InvalidOperationException($"llama.cpp failed to quantise '{srcGguf}' to {type} ('{dstGguf}'): llama_model_quantize returned {rc}; llama.cpp log: {NativeLog.SinceMark()}");
    }

    /// <summary>Maps "q4_k_m", "Q8_0", "f16", "MOSTLY_Q6_K", ... to the exact <see cref="LLamaFtype"/> (no substring guessing).</summary>
    public static LLamaFtype ParseFileType(string type)
    {
        var want = type.Trim().ToUpperInvariant().Replace('-', '_');
        foreach (var f in Enum.GetValues<LLamaFtype>())
        {
            var name = f.ToString().ToUpperInvariant();
            foreach (var prefix in new[] { "LLAMA_FTYPE_MOSTLY_", "LLAMA_FTYPE_ALL_", "MOSTLY_", "ALL_", "" })
                if (name.StartsWith(prefix, StringComparison.Ordinal) && name[prefix.Length..] == want && f != LLamaFtype.GUESSED)
                    return f;
        }
        throw new ArgumentException($"unknown llama.cpp file type '{type}'; known: " +
            string.Join(", ", Enum.GetNames<LLamaFtype>().Select(n => n.Replace("LLAMA_FTYPE_", "").Replace("MOSTLY_", "").Replace("ALL_", "").ToLowerInvariant())));
    }

    /// <summary>llama_model_meta_val_str: the value llama.cpp read for <paramref name="key"/> (numbers and arrays as
    /// llama.cpp formats them), or null when the file has no such key. Loads the file vocab-only.</summary>
    public static string? MetadataValue(string ggufPath, string key)
    {
        using var model = LlamaCppModel.Load(ggufPath, vocabOnly: true);
        return model.MetadataValue(key);
    }

    /// <summary>Every metadata key/value llama.cpp keeps for the file (llama_model_meta_key/val_by_index).</summary>
    public static IReadOnlyDictionary<string, string> Metadata(string ggufPath)
    {
        using var model = LlamaCppModel.Load(ggufPath, vocabOnly: true);
        return model.Metadata();
    }

    /// <summary>Captures llama.cpp's log lines (they arrive in pieces, possibly from worker threads).</summary>
    internal static class NativeLog
    {
        private static readonly object LogGate = new();
        private static readonly List<string> Lines = new();
        private static readonly StringBuilder Pending = new();
        private static LLamaLogLevel _pendingLevel = LLamaLogLevel.Info;
        private static long _total, _mark;
        private static readonly bool Echo = Environment.GetEnvironmentVariable("SAPLING_LLAMACPP_LOG") is "1" or "true";

        // A static field keeps the delegate alive for as long as llama.cpp may call it.
        public static readonly NativeLogConfig.LLamaLogCallback Callback = OnLog;

        private static void OnLog(LLamaLogLevel level, string message)
        {
            if (Echo)
                Console.Error.Write(message);
            lock (LogGate)
            {
                // A line may come in several calls (llama.cpp prints pieces, sometimes each with a level): join them
                // until the newline and tag the line with the first level given.
                if (Pending.Length == 0 || _pendingLevel == LLamaLogLevel.Continue)
                    _pendingLevel = level;
                Pending.Append(message);
                if (message.EndsWith('\n'))
                    Flush();
            }
        }

        private static void Flush()
        {
            var text = Pending.ToString().TrimEnd('\n');
            Pending.Clear();
            var tag = _pendingLevel switch { LLamaLogLevel.Error => "[error] ", LLamaLogLevel.Warning => "[warn] ", _ => "" };
            Lines.Add(tag + text);
            _total++;
            if (Lines.Count > 400)
                Lines.RemoveRange(0, 200);
        }

        public static string Tail(int n)
        {
            lock (LogGate)
                return string.Join(" / ", Lines.Skip(Math.Max(0, Lines.Count - n)));
        }

        public static void Mark()
        {
            lock (LogGate)
                _mark = _total;
        }

        /// <summary>Warnings and errors since <see cref="Mark"/>, else the last few lines.</summary>
        public static string SinceMark()
        {
            lock (LogGate)
            {
                int since = (int)Math.Min(Lines.Count, _total - _mark);
                var recent = Lines.Skip(Lines.Count - since).ToList();
                var bad = recent.Where(l => l.StartsWith("[error]") || l.StartsWith("[warn]")).ToList();
                var pick = bad.Count > 0 ? bad.TakeLast(12) : recent.TakeLast(6);
                return string.Join(" / ", pick);
            }
        }
    }
}

/// <summary>A llama.cpp model (llama_model) loaded from a GGUF file: CPU only, memory-mapped. Dispose it.</summary>
public sealed class LlamaCppModel : IDisposable
{
    public SafeLlamaModelHandle Handle { get; }
    public string Path { get; }
    public int VocabSize => Handle.Vocab.Count;

    private LlamaCppModel(SafeLlamaModelHandle handle, string path)
    {
        Handle = handle;
        Path = path;
    }

    /// <summary>Loads <paramref name="ggufPath"/> with no GPU layers and mmap on; <paramref name="vocabOnly"/> reads the
    /// metadata and vocabulary but no weights. A missing or unreadable file gives an exception naming it and, for files
    /// llama.cpp rejects, llama.cpp's own error lines.</summary>
    /// <param name="repack">llama.cpp's "extra buffer types": Q4_0/Q4_K weights repacked for its interleaved kernels (its default).</param>
    public static LlamaCppModel Load(string ggufPath, bool vocabOnly = false, bool repack = true)
    {
        LlamaCppPeer.EnsureLoaded();
        if (!File.Exists(ggufPath))
            throw new FileNotFoundException($"GGUF file not found: {ggufPath}", ggufPath);
        var p = LLamaModelParams.Default();
        p.n_gpu_layers = 0;
        p.load_mode = LLamaLoadMode.MemoryMap;
        p.vocab_only = vocabOnly;
        p.check_tensors = false;
        p.use_extra_bufts = repack;
        LlamaCppPeer.NativeLog.Mark();
        try
        {
            return new LlamaCppModel(SafeLlamaModelHandle.LoadFromFile(ggufPath, p), ggufPath);
        }
        catch (Exception e) when (e is LoadWeightsFailedException or RuntimeError or SEHException)
        {
            throw new InvalidDataException($"llama.cpp could not load '{ggufPath}': {LlamaCppPeer.NativeLog.SinceMark()}", e);
        }
    }

    public int[] Tokenize(string text, bool addBos, bool parseSpecial)
    {
        var tokens = Handle.Tokenize(text, addBos, parseSpecial, Encoding.UTF8);
        return MemoryMarshal.Cast<LLamaToken, int>(tokens).ToArray();
    }

    public unsafe string Detokenize(int[] ids, bool removeSpecial = false, bool unparseSpecial = false)
    {
        var fns = NativeExtras.Get();
        var vocab = fns.ModelGetVocab(Handle.DangerousGetHandle());
        var buf = new byte[Math.Max(64, ids.Length * 16)];
        fixed (int* pIds = ids)
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                fixed (byte* pBuf = buf)
                {
                    int n = fns.Detokenize(vocab, pIds, ids.Length, pBuf, buf.Length, removeSpecial ? (byte)1 : (byte)0, unparseSpecial ? (byte)1 : (byte)0);
                    if (n >= 0)
                        return Encoding.UTF8.GetString(buf, 0, n);
                    buf = new byte[-n];
                }
            }
        }
        throw new InvalidOperationException($"llama_detokenize failed for '{Path}'");
    }

    public bool IsEndOfGeneration(int id) => ((LLamaToken)id).IsEndOfGeneration(Handle.Vocab);

    public string? MetadataValue(string key)
    {
        var v = Handle.MetadataValueByKey(key);
        return v is null ? null : Encoding.UTF8.GetString(v.Value.Span);
    }

    public IReadOnlyDictionary<string, string> Metadata()
    {
        var d = new Dictionary<string, string>();
        for (int i = 0; i < Handle.MetadataCount; i++)
        {
            var k = Handle.MetadataKeyByIndex(i);
            var v = Handle.MetadataValueByIndex(i);
            if (k is not null)
                d[Encoding.UTF8.GetString(k.Value.Span)] = v is null ? "" : Encoding.UTF8.GetString(v.Value.Span);
        }
        return d;
    }

    /// <summary>A fresh context (KV cache) for one sequence: <paramref name="contextSize"/> positions (rounded up to
    /// 256), a batch/ubatch of at least <paramref name="maxBatch"/> tokens so a prompt is one llama_decode call, and
    /// <paramref name="threads"/> for both single-token and batch decoding. llama.cpp's defaults (F16 KV cache, flash
    /// attention auto) unless <paramref name="exact"/>: F32 KV cache and flash attention disabled.</summary>
    public LlamaCppContext CreateContext(int contextSize, int maxBatch, int threads = 2, bool exact = false)
    {
        var c = LLamaContextParams.Default();
        c.n_ctx = (uint)((Math.Max(contextSize, 1) + 255) / 256 * 256);
        c.n_batch = c.n_ubatch = (uint)Math.Max(maxBatch, 1);
        c.n_seq_max = 1;
        c.n_threads = threads;
        c.n_threads_batch = threads;
        c.embeddings = false;
        if (exact)
        {
            c.type_k = c.type_v = GGMLType.GGML_TYPE_F32;
            c.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        }
        LlamaCppPeer.NativeLog.Mark();
        try
        {
            return new LlamaCppContext(SafeLLamaContextHandle.Create(Handle, c), this);
        }
        catch (Exception e) when (e is RuntimeError or SEHException)
        {
            throw new InvalidOperationException($"llama.cpp could not create a context for '{Path}': {LlamaCppPeer.NativeLog.SinceMark()}", e);
        }
    }

    public void Dispose() => Handle.Dispose();

    /// <summary>llama.cpp functions LLamaSharp does not make public, bound by address (no DllImport resolver needed).</summary>
    private sealed unsafe class NativeExtras
    {
        public delegate* unmanaged<IntPtr, IntPtr> ModelGetVocab;
        public delegate* unmanaged<IntPtr, int*, int, byte*, int, byte, byte, int> Detokenize;
        private static NativeExtras? _instance;

        public static NativeExtras Get()
        {
            if (_instance is not null)
                return _instance;
            var path = LlamaCppPeer.LoadedLibraryPath("libllama.so")
                ?? throw new InvalidOperationException("libllama.so is not mapped in this process");
            var lib = NativeLibrary.Load(path);
            return _instance = new NativeExtras
            {
                ModelGetVocab = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(lib, "llama_model_get_vocab"),
                Detokenize = (delegate* unmanaged<IntPtr, int*, int, byte*, int, byte, byte, int>)NativeLibrary.GetExport(lib, "llama_detokenize"),
            };
        }
    }
}

/// <summary>A llama.cpp context (llama_context + KV cache) for one sequence. Dispose it.</summary>
public sealed class LlamaCppContext : IDisposable
{
    private readonly LLamaBatch _batch = new();
    private readonly LlamaCppModel _model;
    private int _lastBatchCount;

    public SafeLLamaContextHandle Handle { get; }

    internal LlamaCppContext(SafeLLamaContextHandle handle, LlamaCppModel model)
    {
        Handle = handle;
        _model = model;
    }

    /// <summary>One llama_decode call: <paramref name="tokens"/> at positions startPos.., sequence 0, logits requested
    /// for the last token only. Throws when llama.cpp returns non-zero.</summary>
    public void Decode(ReadOnlySpan<int> tokens, int startPos)
    {
        if (tokens.Length == 0)
            throw new ArgumentException("nothing to decode", nameof(tokens));
        if (tokens.Length > Handle.BatchSize)
            throw new ArgumentException($"{tokens.Length} tokens exceed the context's batch size {Handle.BatchSize}");
        _batch.Clear();
        _batch.AddRange(MemoryMarshal.Cast<int, LLamaToken>(tokens), startPos, LLamaSeqId.Zero, true);
        var r = Handle.Decode(_batch);
        if (r != DecodeResult.Ok)
            throw new InvalidOperationException($"llama_decode returned {r} ({(int)r}) for '{_model.Path}' ({tokens.Length} tokens at position {startPos})");
        _lastBatchCount = tokens.Length;
    }

    /// <summary>The logits of the last token of the last <see cref="Decode"/> call (a view into llama.cpp's buffer,
    /// valid until the next decode).</summary>
    public Span<float> LastLogits() => Handle.GetLogitsIth(_lastBatchCount - 1);

    public void Dispose() => Handle.Dispose();
}
