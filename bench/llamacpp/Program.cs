// llama.cpp (LLamaSharp 0.30 + its CPU backend) as the speed peer for Sapling's GGUF inference.
//
//   dotnet run -c Release --project bench/llamacpp -- --model F.gguf [--prompt-tokens 512] [--decode 64] [--threads 2] [--rounds 3]
//       one JSON line per round: {"side":"llama.cpp","model":...,"prefill_tokens":512,"prefill_tok_s":...,
//       "decode_tokens":64,"decode_tok_s":...,"rss_mb_after_load":...,"peak_rss_mb":...,...}
//       The model is loaded once (CPU, mmap); every round gets a fresh context. The prompt is deterministic token ids
//       (i*7919) % (vocab-10) + 5, decoded as one batch (n_batch = n_ubatch >= prompt; logits for the last position);
//       then --decode one-token greedy steps (argmax, lowest id on ties; never stopping at end-of-generation).
//       The Stopwatch surrounds the llama_decode calls only. RSS is VmRSS / VmHWM from /proc/self/status.
//   dotnet run -c Release --project bench/llamacpp -- --quantize SRC.gguf DST.gguf TYPE [--threads 2]
//       TYPE: q8_0, q4_0, q4_k_m, q6_k, f16, ... (LlamaCppPeer.Quantize)
//   dotnet run -c Release --project bench/llamacpp -- --check F.gguf [--text "..."] [--decode 16]
//       exercises every LlamaCppPeer call on the file and prints what llama.cpp says.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sapling.LlamaCpp;

var opts = new Dictionary<string, string>();
var positional = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i].StartsWith("--", StringComparison.Ordinal))
    {
        if (args[i] is "--quantize" or "--check")
            opts[args[i][2..]] = "1";
        else if (i + 1 < args.Length)
            opts[args[i][2..]] = args[++i];
        else
            return Fail($"{args[i]} needs a value");
    }
    else
        positional.Add(args[i]);
}
int Int(string key, int dflt) => opts.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : dflt;
int threads = Int("threads", 2);

if (!LlamaCppPeer.TryLoad(out var whyNot))
    return Fail("llama.cpp does not load: " + whyNot);

if (opts.ContainsKey("quantize"))
{
    if (positional.Count != 3)
        return Fail("usage: --quantize SRC.gguf DST.gguf TYPE [--threads N]");
    var sw = Stopwatch.StartNew();
    LlamaCppPeer.Quantize(positional[0], positional[1], positional[2], threads);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        side = "llama.cpp", quantize = positional[2], src = positional[0], dst = positional[1],
        dst_bytes = new FileInfo(positional[1]).Length, seconds = Math.Round(sw.Elapsed.TotalSeconds, 3),
        file_type = LlamaCppPeer.MetadataValue(positional[1], "general.file_type"),
        fallbacks = LlamaCppPeer.RecentLog(400).Split(" / ").Where(l => l.Contains("falling back", StringComparison.Ordinal) || l.Contains("fallback quantization", StringComparison.Ordinal)).ToArray(),
    }));
    return 0;
}

if (opts.ContainsKey("check"))
{
    if (positional.Count != 1)
        return Fail("usage: --check F.gguf [--text \"...\"] [--decode 16]");
    var f = positional[0];
    var text = opts.GetValueOrDefault("text", "the other tin inn\nre-run: <|endoftext|> é€");
    var md = LlamaCppPeer.Metadata(f);
    Console.WriteLine($"metadata ({md.Count} keys): " + string.Join(", ", md.Where(kv => !kv.Key.StartsWith("tokenizer.ggml.t", StringComparison.Ordinal) && kv.Key != "tokenizer.ggml.merges").Select(kv => $"{kv.Key}={kv.Value}")));
    Console.WriteLine($"MetadataValue(llama.block_count) = {LlamaCppPeer.MetadataValue(f, "llama.block_count")}; missing key -> {LlamaCppPeer.MetadataValue(f, "no.such.key") ?? "null"}");
    var plain = LlamaCppPeer.Tokenize(f, text, addBos: false, parseSpecial: false);
    var special = LlamaCppPeer.Tokenize(f, text, addBos: true, parseSpecial: true);
    Console.WriteLine($"Tokenize({JsonSerializer.Serialize(text)}, bos=false, special=false) = [{string.Join(",", plain)}]");
    Console.WriteLine($"Tokenize(..., bos=true, special=true) = [{string.Join(",", special)}]");
    Console.WriteLine($"Detokenize(plain) = {JsonSerializer.Serialize(LlamaCppPeer.Detokenize(f, plain))} (round trip: {LlamaCppPeer.Detokenize(f, plain) == text})");
    Console.WriteLine($"Detokenize(special) = {JsonSerializer.Serialize(LlamaCppPeer.Detokenize(f, special))}; unparseSpecial: {JsonSerializer.Serialize(LlamaCppPeer.Detokenize(f, special, unparseSpecial: true))}");
    int n = Int("decode", 16);
    var sw = Stopwatch.StartNew();
    var cont = LlamaCppPeer.GreedyContinuation(f, special, n, threads);
    var t1 = sw.Elapsed.TotalMilliseconds;
    var cont2 = LlamaCppPeer.GreedyContinuation(f, special, n, threads);
    Console.WriteLine($"GreedyContinuation({n}) = [{string.Join(",", cont)}] ({t1:F0} ms incl. load); repeat identical: {cont.SequenceEqual(cont2)}");
    Console.WriteLine($"  as text: {JsonSerializer.Serialize(LlamaCppPeer.Detokenize(f, cont))}");
    var logits = LlamaCppPeer.LastLogits(f, special, threads);
    var logits2 = LlamaCppPeer.LastLogits(f, special, threads);
    Console.WriteLine($"LastLogits: n={logits.Length}, argmax={LlamaCppPeer.ArgMax(logits)} (first greedy token {cont[0]}), " +
        $"min={logits.Min():G5}, max={logits.Max():G5}, bitwise repeat: {logits.AsSpan().SequenceEqual(logits2)}, " +
        $"first: [{string.Join(", ", logits.Take(6).Select(v => v.ToString("F5", CultureInfo.InvariantCulture)))}]");
    var exact = LlamaCppPeer.LastLogits(f, special, threads, exact: true);
    Console.WriteLine($"LastLogits(exact): argmax={LlamaCppPeer.ArgMax(exact)}, max |diff| to default logits={logits.Zip(exact, (a, b) => Math.Abs(a - b)).Max():G3}, " +
        $"first: [{string.Join(", ", exact.Take(6).Select(v => v.ToString("F5", CultureInfo.InvariantCulture)))}]");
    // Greedy continuation must equal argmax over LastLogits of the growing prompt (batch vs incremental decoding).
    var grown = special.Concat(cont.Take(Math.Min(3, cont.Length))).ToArray();
    Console.WriteLine($"LastLogits(prompt + first 3 greedy tokens) argmax = {LlamaCppPeer.ArgMax(LlamaCppPeer.LastLogits(f, grown, threads))} (greedy token #4: {(cont.Length > 3 ? cont[3] : -1)})");
    try { LlamaCppPeer.Tokenize("/tmp/does-not-exist.gguf", "x", false, false); }
    catch (Exception e) { Console.WriteLine($"missing file -> {e.GetType().Name}: {e.Message}"); }
    var bad = Path.Combine(Path.GetTempPath(), "sapling-not-a-gguf.gguf");
    File.WriteAllBytes(bad, "GGUF\u0003junkjunkjunk"u8.ToArray());
    try { LlamaCppPeer.Tokenize(bad, "x", false, false); }
    catch (Exception e) { Console.WriteLine($"bad file -> {e.GetType().Name}: {e.Message}"); }
    finally { File.Delete(bad); }
    return 0;
}

if (!opts.TryGetValue("model", out var modelPath))
    return Fail("usage: --model F.gguf [--prompt-tokens 512] [--decode 64] [--threads 2] [--rounds 3] | --quantize SRC DST TYPE | --check F.gguf");
int promptTokens = Int("prompt-tokens", 512), decodeTokens = Int("decode", 64), rounds = Int("rounds", 3);

using var model = LlamaCppModel.Load(modelPath);
double rssAfterLoad = Rss("VmRSS:");
int vocab = model.VocabSize;
var prompt = new int[promptTokens];
for (int i = 0; i < promptTokens; i++)
    prompt[i] = (int)((long)i * 7919 % (vocab - 10)) + 5;

for (int round = 1; round <= rounds; round++)
{
    using var ctx = model.CreateContext(promptTokens + decodeTokens, promptTokens, threads);
    var sw = Stopwatch.StartNew();
    ctx.Decode(prompt, 0);
    double prefillS = sw.Elapsed.TotalSeconds;
    int next = LlamaCppPeer.ArgMax(ctx.LastLogits());
    double decodeS = 0;
    for (int t = 0; t < decodeTokens; t++)
    {
        sw.Restart();
        ctx.Decode([next], promptTokens + t);
        decodeS += sw.Elapsed.TotalSeconds;
        next = LlamaCppPeer.ArgMax(ctx.LastLogits());
    }
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        side = "llama.cpp",
        model = Path.GetFileName(modelPath),
        round,
        threads,
        prefill_tokens = promptTokens,
        prefill_tok_s = Math.Round(promptTokens / prefillS, 2),
        decode_tokens = decodeTokens,
        decode_tok_s = decodeTokens == 0 ? 0 : Math.Round(decodeTokens / decodeS, 2),
        rss_mb_after_load = Math.Round(rssAfterLoad, 1),
        peak_rss_mb = Math.Round(Rss("VmHWM:"), 1),
    }));
}
return 0;

static double Rss(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith(field, StringComparison.Ordinal))
            return double.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
    return double.NaN;
}

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}
