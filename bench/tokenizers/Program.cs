// Encoding speed, MB of UTF-8 text per second, of Sapling's PipelineTokenizer against Hugging Face's Rust tokenizers
// (Tokenizers.DotNet) and Microsoft.ML.Tokenizers 3.0 (a TiktokenTokenizer built from the same vocabulary and the
// file's Split regex; it has no NFC step, so for Qwen 3 it skips that normalisation), one thread and two, rounds
// interleaved, medians. Usage: tokenizer-bench LLAMA3.json QWEN3.json ENGLISH.txt CHINESE.txt [rounds]
extern alias rust;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;
using Sapling.Data.Text.Tokenization;

int rounds = args.Length > 4 ? int.Parse(args[4]) : 5;
var corpora = new (string Name, string[] Docs)[]
{
    ("English", File.ReadAllText(args[2]).Split("\n%\n")),
    ("Chinese", File.ReadAllText(args[3]).Split("\n%\n")),
};
foreach (var (name, path) in new[] { ("Llama 3", args[0]), ("Qwen 3", args[1]) })
{
    var sapling = PipelineTokenizer.Load(path);
    using var rustTokenizer = new rust::Tokenizers.DotNet.Tokenizer(path);
    var ml = MlNetTiktoken(path);
    var encoders = new (string Name, Func<string, int> Encode)[]
    {
        ("Sapling", d => sapling.Encode(d).Length),
        ("HF Rust (Tokenizers.DotNet)", d => rustTokenizer.Encode(d).Length),
        ("Microsoft.ML.Tokenizers", d => ml.EncodeToIds(d).Count),
    };
    foreach (var (corpus, docs) in corpora)
    {
        double megabytes = docs.Sum(d => Encoding.UTF8.GetByteCount(d)) / 1e6;
        var agree = docs.Count(d => sapling.Encode(d).SequenceEqual(ml.EncodeToIds(d)));
        Console.WriteLine($"{name}, {corpus} ({megabytes:F2} MB, {docs.Length} documents; Microsoft.ML.Tokenizers gives Sapling's ids on {agree} of them)");
        foreach (int threads in new[] { 1, 2 })
        {
            var times = encoders.Select(_ => new List<double>()).ToArray();
            for (int round = 0; round <= rounds; round++) // round 0 warms caches and is not counted
                for (int e = 0; e < encoders.Length; e++)
                {
                    var encode = encoders[e].Encode;
                    GC.Collect();
                    var clock = Stopwatch.StartNew();
                    long tokens = 0;
                    Parallel.For(0, docs.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => 0L,
                        (i, _, local) => local + encode(docs[i]), local => Interlocked.Add(ref tokens, local));
                    if (round > 0) times[e].Add(clock.Elapsed.TotalSeconds);
                }
            double baseline = Median(times[1]);
            for (int e = 0; e < encoders.Length; e++)
                Console.WriteLine($"  {threads} thread{(threads > 1 ? "s" : " ")}  {encoders[e].Name,-28} {megabytes / Median(times[e]),7:F2} MB/s  ({baseline / Median(times[e]):F2}x the Rust library)");
        }
    }
    long before = GC.GetAllocatedBytesForCurrentThread();
    foreach (var d in corpora[0].Docs) sapling.Encode(d);
    Console.WriteLine($"  Sapling allocates {(GC.GetAllocatedBytesForCurrentThread() - before) / (corpora[0].Docs.Sum(d => d.Length) / 1e6) / 1e6:F2} MB per MB of English text once warm (the returned id arrays included)");
}

static double Median(List<double> xs)
{
    var s = xs.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}

// The same vocabulary as a tiktoken file (each token's bytes, base64, and its id as rank) and the file's Split regex.
static TiktokenTokenizer MlNetTiktoken(string path)
{
    var root = JsonNode.Parse(File.ReadAllText(path))!;
    var vocab = new StringBuilder();
    foreach (var (token, id) in root["model"]!["vocab"]!.AsObject())
    {
        var bytes = token.Select(c => Sapling.Data.Text.ByteLevel.TryToByte(c, out byte b) ? b : throw new InvalidDataException(token)).ToArray();
        vocab.Append(Convert.ToBase64String(bytes)).Append(' ').Append((int)id!).Append('\n');
    }
    var specials = root["added_tokens"]!.AsArray().ToDictionary(t => (string)t!["content"]!, t => (int)t!["id"]!);
    var regex = (string)root["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"]!;
    var pre = new RegexPreTokenizer(new System.Text.RegularExpressions.Regex(regex, System.Text.RegularExpressions.RegexOptions.Compiled), specials);
    return TiktokenTokenizer.Create(new MemoryStream(Encoding.UTF8.GetBytes(vocab.ToString())), pre, null, specials);
}
