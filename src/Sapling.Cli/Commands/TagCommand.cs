using System.CommandLine;
using System.Text.Json;
using Sapling.Training.Evaluation;
using Sapling.Inference;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling tag --model DIR (--text TEXT | --input FILE) [--json]</c>: a token classifier's tag for every word
/// (words are split at whitespace; one sentence per input line), with the entities when the tags are B-/I- chunks.</summary>
public static class TagCommand
{
    /// <summary>Builds the <c>sapling tag</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Token-classifier folder (method token_classify)", Required = true };
        var text = new Option<string?>("--text") { Description = "One sentence to tag" };
        var input = new Option<string?>("--input") { Description = "A UTF-8 file with one sentence per line" };
        var json = new Option<bool>("--json") { Description = "One JSON object per sentence: words, tags and entities" };
        var cmd = new Command("tag", "Tag every word of each sentence with a token classifier (named entities, punctuation, ...)") { model, text, input, json };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(text), r.GetValue(input), r.GetValue(json)));
        return cmd;
    }

    private static int Run(string modelDirectory, string? text, string? inputPath, bool json)
    {
        if ((text == null) == (inputPath == null)) throw new ArgumentException("give the sentences with --text TEXT or --input FILE (one of them)");
        if (inputPath != null && !File.Exists(inputPath)) throw new FileNotFoundException($"input file '{inputPath}' does not exist", inputPath);
        var tagger = TokenTagger.Load(modelDirectory);
        var lines = text != null ? [text] : File.ReadAllLines(inputPath!);
        var sentences = lines.Select(TokenTagger.Words).ToArray();
        var tags = tagger.Tag(sentences);
        bool chunks = EntityReport.IsChunkScheme(tagger.Labels);
        for (int s = 0; s < sentences.Length; s++)
        {
            var names = tags[s].Select(t => t < 0 ? null : tagger.Labels[t]).ToArray();
            if (!json)
            {
                Console.WriteLine(string.Join(' ', sentences[s].Zip(names, (w, t) => $"{w}/{t ?? "-"}")));
                continue;
            }
            var line = new Dictionary<string, object?> { ["words"] = sentences[s], ["tags"] = names };
            if (chunks)
            {
                // Words the context cut off read as outside any entity.
                line["entities"] = EntityReport.Spans(names.Select(n => n ?? "O").ToArray())
                    .Select(e => new { type = e.Type, start = e.Start, end = e.End, text = string.Join(' ', sentences[s][e.Start..(e.End + 1)]) }).ToArray();
            }
            Console.WriteLine(JsonSerializer.Serialize(line));
        }
        return 0;
    }
}
