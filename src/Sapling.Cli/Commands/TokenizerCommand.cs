using System.CommandLine;
using System.Text.Json;
using Sapling.Text;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling tokenizer train|encode|decode</c></summary>
public static class TokenizerCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var cmd = new Command("tokenizer", "Train tokenizers and encode or decode text");
        cmd.Subcommands.Add(Train());
        cmd.Subcommands.Add(Encode());
        cmd.Subcommands.Add(Decode());
        return cmd;
    }

    private static Command Train()
    {
        var input = new Option<string>("--input") { Description = "Corpus file or folder", Required = true };
        var format = new Option<string>("--format") { Description = "percent, jsonl, text, lines, folder or auto", DefaultValueFactory = _ => "auto" };
        var field = new Option<string>("--field") { Description = "JSONL field holding the text", DefaultValueFactory = _ => "text" };
        var type = new Option<string>("--type") { Description = "char (one token per character) or bpe (GPT-2-style byte-level BPE)", DefaultValueFactory = _ => "char" };
        var vocabSize = new Option<int>("--vocab-size") { Description = "BPE: vocabulary size, special tokens included", DefaultValueFactory = _ => 8192 };
        var minFrequency = new Option<int>("--min-frequency") { Description = "Leave out rarer symbols (BPE: pairs)", DefaultValueFactory = _ => 2 };
        var output = new Option<string>("--out") { Description = "tokenizer.json to write", Required = true };
        var cmd = new Command("train", "Learn a tokenizer from a corpus and save it as tokenizer.json") { input, format, field, type, vocabSize, minFrequency, output };
        cmd.SetAction(r =>
        {
            var documents = DocumentSource.Read(r.GetValue(input)!, r.GetValue(format)!, r.GetValue(field)!).ToList();
            ITokenizer tokenizer = r.GetValue(type) switch
            {
                "char" => CharTokenizer.Train(documents, r.GetValue(minFrequency)),
                "bpe" => ByteLevelBpe.Train(documents, r.GetValue(vocabSize), r.GetValue(minFrequency)),
                var t => throw new ArgumentException($"unknown tokenizer type '{t}'"),
            };
            tokenizer.Save(r.GetValue(output)!);
            Console.WriteLine($"{tokenizer.VocabSize:N0} tokens learnt from {documents.Count:N0} documents; saved to {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }

    private static Command Encode()
    {
        var file = new Option<string>("--tokenizer") { Description = "tokenizer.json", Required = true };
        var text = new Option<string>("--text") { Description = "Text to encode", Required = true };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\": [...]}" };
        var cmd = new Command("encode", "Token ids of a text") { file, text, json };
        cmd.SetAction(r =>
        {
            var ids = Tokenizers.Load(r.GetValue(file)!).Encode(r.GetValue(text)!);
            Console.WriteLine(r.GetValue(json) ? JsonSerializer.Serialize(new { ids }, Json) : string.Join(",", ids));
            return 0;
        });
        return cmd;
    }

    private static Command Decode()
    {
        var file = new Option<string>("--tokenizer") { Description = "tokenizer.json", Required = true };
        var ids = new Option<string>("--ids") { Description = "Comma-separated token ids", Required = true };
        var json = new Option<bool>("--json") { Description = "Print {\"text\": ...}" };
        var cmd = new Command("decode", "Text of token ids") { file, ids, json };
        cmd.SetAction(r =>
        {
            var list = r.GetValue(ids)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, out int v) ? v : throw new ArgumentException($"--ids: '{s}' is not a token id"));
            var text = Tokenizers.Load(r.GetValue(file)!).Decode(list);
            Console.WriteLine(r.GetValue(json) ? JsonSerializer.Serialize(new { text }, Json) : text);
            return 0;
        });
        return cmd;
    }
}
