using System.CommandLine;
using System.Diagnostics;
using Sapling.Inference;
using Sapling.Models;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling translate --model DIR (--text TEXT | --input FILE) [--out FILE] [--num-beams N] ...</c>: an encoder-decoder
/// (BART, Marian, T5) writes one output line per input line, in order. The search defaults to what the folder's
/// generation_config.json (or config.json) recommends; the options override it.
/// </summary>
public static class TranslateCommand
{
    /// <summary>Builds the <c>sapling translate</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Encoder-decoder folder (model_type bart, marian or t5)", Required = true };
        var text = new Option<string?>("--text") { Description = "One text to translate" };
        var input = new Option<string?>("--input") { Description = "A UTF-8 file with one source text per line" };
        var output = new Option<string?>("--out") { Description = "Write the translations here, one per line (default: standard output)" };
        var beams = new Option<int?>("--num-beams") { Description = "Beam search with this many beams (1: greedy; default: the folder's num_beams, else 1)" };
        var maxNew = new Option<int?>("--max-new-tokens") { Description = "Longest translation in tokens (default: the folder's max_length, else 256)" };
        var lengthPenalty = new Option<float?>("--length-penalty") { Description = "Beam scores divide by length^penalty: above 1 favours longer outputs" };
        var noRepeat = new Option<int?>("--no-repeat-ngram-size") { Description = "No n-gram of this size twice in an output" };
        var sample = new Option<bool>("--sample") { Description = "Sample instead of searching (with --temperature, --top-p, --top-k, --seed)" };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature", DefaultValueFactory = _ => 1f };
        var topP = new Option<float>("--top-p") { Description = "Sample from the smallest set of tokens whose probability reaches p", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Sample from the k most likely tokens (0: all)" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed for sampling" };
        var batch = new Option<int>("--batch-size") { Description = "Sources generated together", DefaultValueFactory = _ => 16 };
        var cmd = new Command("translate", "Translate (or otherwise rewrite) text with an encoder-decoder: one output line per input line")
        {
            model, text, input, output, beams, maxNew, lengthPenalty, noRepeat, sample, temperature, topP, topK, seed, batch,
        };
        cmd.SetAction(r =>
        {
            var options = Seq2SeqGenerationOptions.FromFolder(r.GetValue(model)!);
            options = options with
            {
                NumBeams = r.GetValue(sample) ? 1 : r.GetValue(beams) ?? options.NumBeams,
                MaxNewTokens = r.GetValue(maxNew) ?? options.MaxNewTokens,
                LengthPenalty = r.GetValue(lengthPenalty) ?? options.LengthPenalty,
                NoRepeatNgramSize = r.GetValue(noRepeat) ?? options.NoRepeatNgramSize,
                DoSample = r.GetValue(sample),
                Temperature = r.GetValue(temperature),
                TopP = r.GetValue(topP),
                TopK = r.GetValue(topK),
                Seed = r.GetValue(seed),
            };
            return Run(r.GetValue(model)!, r.GetValue(text), r.GetValue(input), r.GetValue(output), options, r.GetValue(batch));
        });
        return cmd;
    }

    private static int Run(string modelDirectory, string? text, string? inputPath, string? outputPath, Seq2SeqGenerationOptions options, int batchSize)
    {
        if ((text == null) == (inputPath == null)) throw new ArgumentException("give the source with --text TEXT or --input FILE (one of them)");
        if (inputPath != null && !File.Exists(inputPath)) throw new FileNotFoundException($"input file '{inputPath}' does not exist", inputPath);
        options.Validate();
        var model = ModelRegistry.LoadSeq2SeqLM(modelDirectory);
        var tokenizer = ModelRegistry.RequireTokenizer(modelDirectory, "to read the sources with");
        var translator = new Seq2SeqTranslator(model, tokenizer);
        var lines = text != null ? [text] : File.ReadAllLines(inputPath!);
        // An empty line stays an empty line, so outputs stay aligned with inputs.
        var nonEmpty = Enumerable.Range(0, lines.Length).Where(i => !string.IsNullOrWhiteSpace(lines[i])).ToArray();
        var watch = Stopwatch.StartNew();
        void Progress(int done)
        {
            if (inputPath == null) return;
            double rate = done / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
            Console.Error.WriteLine($"translated {done:N0}/{nonEmpty.Length:N0} lines, {rate:F1} lines/s, ETA {TimeSpan.FromSeconds((nonEmpty.Length - done) / Math.Max(rate, 1e-9)):hh\\:mm\\:ss}");
        }
        var translated = translator.Translate(nonEmpty.Select(i => lines[i]).ToArray(), options, batchSize, Progress);
        var outputs = new string[lines.Length];
        Array.Fill(outputs, "");
        for (int j = 0; j < nonEmpty.Length; j++) outputs[nonEmpty[j]] = translated[j].ReplaceLineEndings(" ");
        if (outputPath != null)
        {
            IO.AtomicFile.WriteAllText(outputPath, string.Join('\n', outputs) + (outputs.Length > 0 ? "\n" : ""));
            Console.Error.WriteLine($"wrote {outputs.Length:N0} lines to {outputPath} in {watch.Elapsed.TotalSeconds:F1} s ({options.NumBeams} beam{(options.NumBeams > 1 ? "s" : "")})");
        }
        else
        {
            foreach (var line in outputs) Console.WriteLine(line);
        }
        return 0;
    }
}
