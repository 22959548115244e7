using System.CommandLine;
using System.Text.Json;
using Sapling.Data;
using Sapling.IO;
using Sapling.Data.Text;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling data clean|stats|split</c>: prepare a text corpus before tokenising and training.</summary>
public static class DataCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Builds the <c>sapling data</c> command and its subcommands.</summary>
    public static Command Create()
    {
        var data = new Command("data", "Clean, de-duplicate, describe and split text corpora");
        data.Subcommands.Add(Clean());
        data.Subcommands.Add(Stats());
        data.Subcommands.Add(Split());
        data.Subcommands.Add(Tokenize());
        return data;
    }

    private static (Option<string> Input, Option<string> Format, Option<string> Field) Source()
        => (new Option<string>("--input") { Description = "Corpus file or folder", Required = true },
            new Option<string>("--format") { Description = "percent, jsonl, text, lines, folder or auto", DefaultValueFactory = _ => "auto" },
            new Option<string>("--field") { Description = "JSONL field holding the text", DefaultValueFactory = _ => "text" });

    private static Command Clean()
    {
        var (input, format, field) = Source();
        var output = new Option<string>("--out") { Description = "Cleaned corpus as JSONL ({\"text\": ...} per line)", Required = true };
        var minChars = new Option<int>("--min-chars") { DefaultValueFactory = _ => 10, Description = "Drop shorter documents" };
        var maxChars = new Option<int>("--max-chars") { DefaultValueFactory = _ => 100_000, Description = "Drop longer documents" };
        var threshold = new Option<double>("--dedup-threshold") { DefaultValueFactory = _ => 0.8, Description = "Jaccard similarity above which a document counts as a near copy" };
        var noDedup = new Option<bool>("--no-dedup") { Description = "Keep duplicates" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var cmd = new Command("clean", "NFKC, strip control characters and ANSI escapes, fix line endings and whitespace, drop broken/short/long documents, remove exact and near duplicates") { input, format, field, output, minChars, maxChars, threshold, noDedup, json };
        cmd.SetAction(r =>
        {
            var cleaner = new TextCleaner(new CleaningOptions { MinCharacters = r.GetValue(minChars), MaxCharacters = r.GetValue(maxChars) });
            var dedup = r.GetValue(noDedup) ? null : new NearDuplicates(r.GetValue(threshold));
            string outPath = r.GetValue(output)!;
            string temp = outPath + ".partial";
            long written = 0;
            using (var writer = new StreamWriter(temp))
            {
                foreach (var document in DocumentSource.Read(r.GetValue(input)!, r.GetValue(format)!, r.GetValue(field)!))
                {
                    var text = cleaner.Clean(document);
                    if (text == null || dedup != null && !dedup.Add(text)) continue;
                    writer.WriteLine(JsonSerializer.Serialize(new { text }, Json));
                    written++;
                }
            }
            File.Move(temp, outPath, overwrite: true);
            var report = new SortedDictionary<string, long>(cleaner.Report, StringComparer.Ordinal)
            {
                ["dropped: exact duplicates"] = dedup?.ExactDuplicates ?? 0,
                ["dropped: near duplicates"] = dedup?.NearDuplicateCount ?? 0,
                ["documents written"] = written,
            };
            if (r.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, Json));
            else foreach (var (rule, count) in report) Console.WriteLine($"{rule,-40} {count,10:N0}");
            return 0;
        });
        return cmd;
    }

    private static Command Stats()
    {
        var (input, format, field) = Source();
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json to count tokens with (default: characters)" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var cmd = new Command("stats", "Documents, characters, tokens, duplicates and a length histogram") { input, format, field, tokenizer, json };
        cmd.SetAction(r =>
        {
            var tok = r.GetValue(tokenizer) is { } path ? CharTokenizer.Load(path) : null;
            var dedup = new NearDuplicates();
            long documents = 0, characters = 0, tokens = 0, duplicates = 0;
            var histogram = new SortedDictionary<int, long>();
            foreach (var document in DocumentSource.Read(r.GetValue(input)!, r.GetValue(format)!, r.GetValue(field)!))
            {
                documents++;
                int chars = document.EnumerateRunes().Count();
                characters += chars;
                tokens += tok?.Encode(document).Length ?? chars;
                if (!dedup.Add(document)) duplicates++;
                int bucket = chars <= 1 ? 1 : 1 << (int)Math.Ceiling(Math.Log2(chars));
                histogram[bucket] = histogram.GetValueOrDefault(bucket) + 1;
            }
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { documents, characters, tokens, duplicates_exact = dedup.ExactDuplicates, duplicates_near = dedup.NearDuplicateCount, length_histogram = histogram.ToDictionary(p => $"<={p.Key}", p => p.Value) }, Json));
                return 0;
            }
            Console.WriteLine($"documents {documents:N0}  characters {characters:N0}  {(tok != null ? "tokens" : "tokens (characters)")} {tokens:N0}  duplicates {duplicates:N0} (exact {dedup.ExactDuplicates:N0}, near {dedup.NearDuplicateCount:N0})");
            long widest = histogram.Count == 0 ? 1 : histogram.Values.Max();
            foreach (var (upper, count) in histogram)
                Console.WriteLine($"  ≤{upper,8:N0} chars  {count,8:N0}  {new string('█', (int)Math.Ceiling(40.0 * count / widest))}");
            return 0;
        });
        return cmd;
    }

    private static Command Tokenize()
    {
        var (input, format, field) = Source();
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json", Required = true };
        var outDir = new Option<string>("--out-dir") { Description = "Folder for train.bin, validation.bin and tokens.json", Required = true };
        var dtype = new Option<string>("--dtype") { DefaultValueFactory = _ => "auto", Description = "Token width: uint16, uint32 or auto (uint16 when the vocabulary fits)" };
        var validation = new Option<double>("--validation") { DefaultValueFactory = _ => 0.1, Description = "Fraction of documents for validation" };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0, Description = "Split seed" };
        var cmd = new Command("tokenize", "Tokenise a corpus into nanoGPT-style token files, split by document") { input, format, field, tokenizer, outDir, validation, seed, dtype };
        cmd.SetAction(r =>
        {
            var tok = Tokenizers.Load(r.GetValue(tokenizer)!);
            if (tok.EndOfTextId < 0) throw new InvalidDataException($"{r.GetValue(tokenizer)}: no <|endoftext|> token to separate documents");
            var documents = DocumentSource.Read(r.GetValue(input)!, r.GetValue(format)!, r.GetValue(field)!).ToList();
            double v = r.GetValue(validation);
            var parts = Splits.Random(documents.Count, [1 - v, v], r.GetValue(seed));
            string dir = r.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            TokenWidth? width = r.GetValue(dtype) is "auto" or null ? null : TokenFile.Parse(r.GetValue(dtype)!);
            foreach (var (name, indices) in new[] { ("train.bin", parts[0]), ("validation.bin", parts[1]) })
            {
                var ids = indices.SelectMany(i => tok.Encode(documents[(int)i].Trim('\n')).Append(tok.EndOfTextId));
                width = TokenFile.Write(Path.Combine(dir, name), ids, tok.VocabSize, width);
            }
            File.Copy(r.GetValue(tokenizer)!, Path.Combine(dir, "tokenizer.json"), overwrite: true);
            int size = (int)width!.Value;
            Console.WriteLine($"{new FileInfo(Path.Combine(dir, "train.bin")).Length / size:N0} training and {new FileInfo(Path.Combine(dir, "validation.bin")).Length / size:N0} validation tokens ({TokenFile.Name(width.Value)}) in {dir}");
            return 0;
        });
        return cmd;
    }

    private static Command Split()
    {
        var (input, format, field) = Source();
        var outDir = new Option<string>("--out-dir") { Description = "Folder for train.jsonl and validation.jsonl", Required = true };
        var validation = new Option<double>("--validation") { DefaultValueFactory = _ => 0.1, Description = "Fraction of documents for validation" };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 0, Description = "Split seed" };
        var cmd = new Command("split", "Split by document into train.jsonl and validation.jsonl with a seed") { input, format, field, outDir, validation, seed };
        cmd.SetAction(r =>
        {
            var documents = DocumentSource.Read(r.GetValue(input)!, r.GetValue(format)!, r.GetValue(field)!).ToList();
            double v = r.GetValue(validation);
            var parts = Splits.Random(documents.Count, [1 - v, v], r.GetValue(seed));
            string dir = r.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            foreach (var (name, indices) in new[] { ("train.jsonl", parts[0]), ("validation.jsonl", parts[1]) })
                File.WriteAllLines(Path.Combine(dir, name), indices.Select(i => JsonSerializer.Serialize(new { text = documents[(int)i] }, Json)));
            Console.WriteLine($"{parts[0].Length:N0} training and {parts[1].Length:N0} validation documents in {dir}");
            return 0;
        });
        return cmd;
    }
}
