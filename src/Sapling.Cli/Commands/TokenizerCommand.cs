using System.CommandLine;
using System.Text.Json;
using Sapling.Data.Text;
using Sapling.Data.Text.Tokenization;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling tokenizer train|encode|decode|convert</c></summary>
public static class TokenizerCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Builds the <c>sapling tokenizer</c> command and its subcommands.</summary>
    public static Command Create()
    {
        var cmd = new Command("tokenizer", "Train tokenizers and encode or decode text");
        cmd.Subcommands.Add(Train());
        cmd.Subcommands.Add(Encode());
        cmd.Subcommands.Add(Decode());
        cmd.Subcommands.Add(Convert());
        return cmd;
    }

    /// <summary>A SentencePiece model (or a model folder's tokenizer files) as a Hugging Face tokenizer.json, as
    /// transformers' convert_slow_tokenizer lays it out.</summary>
    private static Command Convert()
    {
        var source = new Option<string>("--tokenizer") { Description = "A SentencePiece model (spiece.model, tokenizer.model) or a model folder (vocab.txt, spiece.model, tokenizer.model)", Required = true };
        var output = new Option<string>("--out") { Description = "tokenizer.json to write", Required = true };
        var cmd = new Command("convert", "Write a SentencePiece model or a folder's tokenizer files as tokenizer.json") { source, output };
        cmd.SetAction(r =>
        {
            var path = r.GetValue(source)!;
            // A file inside a model folder converts as the folder's tokenizer (Llama's <s>, T5's </s> and sentinels).
            var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (!Directory.Exists(path) && MarianTokenizer.IsIn(folder))
                throw new ArgumentException($"--tokenizer: '{path}' is one side of a Marian tokenizer, whose ids come from {Path.Combine(folder, MarianTokenizer.VocabFile)}; it has no tokenizer.json form");
            bool folderFile = Path.GetFileName(path) is "spiece.model" or "tokenizer.model" && File.Exists(Path.Combine(folder, "config.json"));
            ITokenizer tokenizer = Directory.Exists(path) || folderFile
                ? Models.ModelRegistry.RequireTokenizer(folder, "to convert")
                : Tokenizers.Load(path);
            if (tokenizer is MarianTokenizer)
                throw new ArgumentException($"--tokenizer: '{path}' is a Marian tokenizer (two SentencePiece models over one vocab.json), which has no tokenizer.json form; keep its source.spm, target.spm and vocab.json");
            tokenizer.Save(r.GetValue(output)!);
            Console.WriteLine($"{tokenizer.VocabSize:N0} tokens; saved to {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }

    private static Command Train()
    {
        var input = new Option<string>("--input") { Description = "Corpus file or folder", Required = true };
        var format = new Option<string>("--format") { Description = "percent, jsonl, text, lines, folder or auto", DefaultValueFactory = _ => "auto" };
        var field = new Option<string>("--field") { Description = "JSONL field holding the text", DefaultValueFactory = _ => "text" };
        var type = new Option<string>("--type") { Description = "char (one token per character), bpe (GPT-2-style byte-level BPE), wordpiece (BERT) or unigram (SentencePiece, T5)", DefaultValueFactory = _ => "char" };
        var vocabSize = new Option<int>("--vocab-size") { Description = "bpe, wordpiece, unigram: vocabulary size, special tokens included", DefaultValueFactory = _ => 8192 };
        var minFrequency = new Option<int>("--min-frequency") { Description = "Leave out rarer symbols (bpe, wordpiece: pairs)", DefaultValueFactory = _ => 2 };
        var cased = new Option<bool>("--cased") { Description = "wordpiece: keep case and accents (bert-base-cased) instead of lowercasing" };
        var byteFallback = new Option<bool>("--byte-fallback") { Description = "unigram: spell unseen characters as <0xHH> byte pieces instead of <unk>" };
        var output = new Option<string>("--out") { Description = "tokenizer.json to write", Required = true };
        var cmd = new Command("train", "Learn a tokenizer from a corpus and save it as tokenizer.json") { input, format, field, type, vocabSize, minFrequency, cased, byteFallback, output };
        cmd.SetAction(r =>
        {
            var documents = DocumentSource.Read(r.GetValue(input)!, r.GetValue(format)!, r.GetValue(field)!).ToList();
            ITokenizer tokenizer = r.GetValue(type) switch
            {
                "char" => CharTokenizer.Train(documents, r.GetValue(minFrequency)),
                "bpe" => ByteLevelBpe.Train(documents, r.GetValue(vocabSize), r.GetValue(minFrequency)),
                "wordpiece" => WordPieceTrainer.Train(documents, new WordPieceTrainerOptions { VocabSize = r.GetValue(vocabSize), MinFrequency = r.GetValue(minFrequency), Lowercase = !r.GetValue(cased) }),
                "unigram" => UnigramTrainer.Train(documents, new UnigramTrainerOptions { VocabSize = r.GetValue(vocabSize), ByteFallback = r.GetValue(byteFallback) }),
                var t => throw new ArgumentException($"--type: unknown tokenizer type '{t}' (char, bpe, wordpiece or unigram)"),
            };
            tokenizer.Save(r.GetValue(output)!);
            Console.WriteLine($"{tokenizer.VocabSize:N0} tokens learnt from {documents.Count:N0} documents; saved to {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }

    private static Command Encode()
    {
        var file = new Option<string>("--tokenizer") { Description = "tokenizer.json (or a SentencePiece .model)", Required = true };
        var text = new Option<string?>("--text") { Description = "Text to encode" };
        var input = new Option<string?>("--input") { Description = "Text file: each line is encoded on its own, in parallel, and printed in order" };
        var special = new Option<bool>("--add-special-tokens") { Description = "Add the special tokens of the tokenizer's post-processor (BOS, [CLS] ... [SEP])" };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\": [...]} for --text, one JSON array per line for --input" };
        var cmd = new Command("encode", "Token ids of a text, or of every line of a file") { file, text, input, special, json };
        cmd.SetAction(r =>
        {
            var tokenizer = Tokenizers.Load(r.GetValue(file)!);
            bool addSpecial = r.GetValue(special), asJson = r.GetValue(json);
            var (single, path) = (r.GetValue(text), r.GetValue(input));
            if ((single == null) == (path == null)) throw new ArgumentException("give either --text or --input");
            if (single != null)
            {
                var ids = tokenizer.Encode(single, addSpecial);
                Console.WriteLine(asJson ? JsonSerializer.Serialize(new { ids }, Json) : string.Join(",", ids));
                return 0;
            }
            if (!File.Exists(path)) throw new FileNotFoundException($"--input: '{path}' not found", path);
            var lines = File.ReadAllLines(path!);
            var encoded = new int[lines.Length][];
            Parallel.For(0, lines.Length, i => encoded[i] = tokenizer.Encode(lines[i], addSpecial));
            var output = new System.Text.StringBuilder();
            foreach (var ids in encoded)
            {
                output.Append(asJson ? JsonSerializer.Serialize(ids) : string.Join(",", ids)).Append('\n');
                if (output.Length > 1 << 16) Flush(output);
            }
            Flush(output);
            return 0;
        });
        return cmd;
    }

    private static Command Decode()
    {
        var file = new Option<string>("--tokenizer") { Description = "tokenizer.json (or a SentencePiece .model)", Required = true };
        var ids = new Option<string?>("--ids") { Description = "Comma-separated token ids" };
        var input = new Option<string?>("--input") { Description = "File with one id list per line (a JSON array or comma-separated); one text per line out" };
        var skip = new Option<bool>("--skip-special-tokens") { Description = "Leave special tokens out of the text" };
        var json = new Option<bool>("--json") { Description = "Print {\"text\": ...} for --ids, one JSON string per line for --input" };
        var cmd = new Command("decode", "Text of token ids, or of every id list in a file") { file, ids, input, skip, json };
        cmd.SetAction(r =>
        {
            var tokenizer = Tokenizers.Load(r.GetValue(file)!);
            bool skipSpecial = r.GetValue(skip), asJson = r.GetValue(json);
            var (single, path) = (r.GetValue(ids), r.GetValue(input));
            if ((single == null) == (path == null)) throw new ArgumentException("give either --ids or --input");
            if (single != null)
            {
                var text = tokenizer.Decode(ParseIds(single, "--ids"), skipSpecial);
                Console.WriteLine(asJson ? JsonSerializer.Serialize(new { text }, Json) : text);
                return 0;
            }
            if (!File.Exists(path)) throw new FileNotFoundException($"--input: '{path}' not found", path);
            int lineNumber = 0;
            var output = new System.Text.StringBuilder();
            foreach (var line in File.ReadLines(path!))
            {
                lineNumber++;
                var text = tokenizer.Decode(ParseIds(line, $"{path}:{lineNumber}"), skipSpecial);
                output.Append(asJson ? JsonSerializer.Serialize(text, Json) : text.ReplaceLineEndings("\\n")).Append('\n');
                if (output.Length > 1 << 16) Flush(output);
            }
            Flush(output);
            return 0;
        });
        return cmd;
    }

    // Console.Out in large pieces: it flushes on every write, and tests capture it.
    private static void Flush(System.Text.StringBuilder output)
    {
        Console.Out.Write(output.ToString());
        output.Clear();
    }

    // "1,2,3" or "[1, 2, 3]"; where names the option or file line in errors.
    private static int[] ParseIds(string text, string where)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('[') && trimmed.EndsWith(']')) trimmed = trimmed[1..^1];
        return trimmed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, out int v) && v >= 0 ? v : throw new ArgumentException($"{where}: '{s}' is not a token id"))
            .ToArray();
    }
}
