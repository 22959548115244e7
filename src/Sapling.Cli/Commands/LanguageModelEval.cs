using System.Text.Json;
using Sapling.IO;

namespace Sapling.Cli.Commands;

/// <summary>
/// Mean next-token loss and perplexity of a GPT over consecutive non-overlapping windows of a text file (tokenised
/// with the folder's tokenizer.json) or a nanoGPT-style .bin file of little-endian uint16 token ids (uint32 when
/// <c>tokens.json</c> beside it says so or the caller asks).
/// </summary>
public static class LanguageModelEval
{
    /// <summary>
    /// Loads the model (with the adapter, if any), scores <paramref name="dataPath"/> and prints loss and perplexity,
    /// as text or JSON; returns the exit code. <paramref name="contextOption"/> is the window length (default: the
    /// model's context, at most 1,024); <paramref name="width"/> forces the token width of a .bin file. Refuses token
    /// ids outside the vocabulary and data shorter than one window.
    /// </summary>
    public static int Run(string modelDirectory, string? adapterDirectory, string dataPath, bool json, int? contextOption, TokenWidth? width = null)
    {
        var model = Models.Adapters.PeftAdapter.LoadLanguageModel(modelDirectory, adapterDirectory);
        // Prompt tuning's virtual tokens take part of the context; a long-context model is measured over 1,024-token
        // windows unless asked for more.
        int room = model.ContextLength - model.VirtualTokens;
        int context = contextOption ?? Math.Min(room, 1024);
        if (context < 2 || context > room)
            throw new ArgumentException($"--context must be between 2 and {room} (the model's context {model.ContextLength}{(room < model.ContextLength ? $" less {model.ContextLength - room} virtual tokens" : "")}), got {context}");
        var tokens = ReadTokens(modelDirectory, dataPath, model.VocabSize, width);
        var result = Inference.Perplexity.Windowed(model, tokens, context);
        if (result.Predictions == 0) throw new InvalidDataException($"{dataPath}: {tokens.Length} tokens do not fill one window of {context}");
        double loss = result.Loss;
        long count = result.Predictions;
        if (json) Console.WriteLine(JsonSerializer.Serialize(new { loss, perplexity = Math.Exp(loss), tokens = count }, Training.Runs.JsonNumbers.Options));
        else Console.WriteLine($"loss {loss:F4}  perplexity {Math.Exp(loss):F2}  over {count:N0} predicted tokens ({tokens.Length / context} windows of {context})");
        return 0;
    }

    private static long[] ReadTokens(string modelDirectory, string dataPath, int vocabSize, TokenWidth? width)
    {
        if (!File.Exists(dataPath)) throw new FileNotFoundException($"data file '{dataPath}' not found", dataPath);
        long[] tokens;
        if (dataPath.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            using var file = new TokenFile(dataPath, width);
            tokens = file.ReadAll();
        }
        else
        {
            var tokenizer = Models.ModelRegistry.RequireTokenizer(modelDirectory, $"to tokenise {dataPath}; give a .bin token file instead");
            tokens = tokenizer.Encode(File.ReadAllText(dataPath)).Select(t => (long)t).ToArray();
        }
        for (int i = 0; i < tokens.Length; i++)
            if (tokens[i] >= vocabSize) throw new InvalidDataException($"{dataPath}: token {tokens[i]} at position {i} is outside the model's vocabulary of {vocabSize}");
        return tokens;
    }
}
