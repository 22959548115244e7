using System.Text.Json;
using Sapling.Autograd;
using Sapling.Models.Gpt;
using Sapling.Text;

namespace Sapling.Cli.Commands;

/// <summary>
/// Mean next-token loss and perplexity of a GPT over consecutive non-overlapping windows of a text file (tokenised
/// with the folder's tokenizer.json) or a nanoGPT-style .bin file of little-endian uint16 token ids (uint32 when
/// <c>tokens.json</c> beside it says so or the caller asks).
/// </summary>
public static class LanguageModelEval
{
    public static int Run(string modelDirectory, string? adapterDirectory, string dataPath, bool json, int? contextOption, Training.TokenWidth? width = null)
    {
        var model = Models.Adapters.PeftAdapter.LoadModel(modelDirectory, adapterDirectory);
        // Prompt tuning's virtual tokens take part of the context.
        int room = model.Config.NPositions - model.VirtualTokens;
        int context = contextOption ?? room;
        if (context < 2 || context > room)
            throw new ArgumentException($"--context must be between 2 and {room} (the model's n_positions {model.Config.NPositions}{(model.VirtualTokens > 0 ? $" less {model.VirtualTokens} virtual tokens" : "")}), got {context}");
        var tokens = ReadTokens(modelDirectory, dataPath, model.Config.VocabSize, width);
        double sum = 0;
        long count = 0;
        using (NoGrad.Enter())
            foreach (var window in Enumerable.Range(0, tokens.Length / context))
            {
                using var scope = new TensorScope();
                var ids = Tensor.FromArray(tokens.AsSpan(window * context, context).ToArray(), 1, context);
                var logits = model.Forward(ids);
                sum += Tensor.CrossEntropy(logits.Narrow(1, 0, context - 1).Reshape(-1, model.Config.VocabSize), ids.Narrow(1, 1, context - 1).Reshape(-1), Reduction.Sum).Item();
                count += context - 1;
            }
        if (count == 0) throw new InvalidDataException($"{dataPath}: {tokens.Length} tokens do not fill one window of {context}");
        double loss = sum / count;
        if (json) Console.WriteLine(JsonSerializer.Serialize(new { loss, perplexity = Math.Exp(loss), tokens = count }, Training.JsonNumbers.Options));
        else Console.WriteLine($"loss {loss:F4}  perplexity {Math.Exp(loss):F2}  over {count:N0} predicted tokens ({tokens.Length / context} windows of {context})");
        return 0;
    }

    private static long[] ReadTokens(string modelDirectory, string dataPath, int vocabSize, Training.TokenWidth? width)
    {
        if (!File.Exists(dataPath)) throw new FileNotFoundException($"data file '{dataPath}' not found", dataPath);
        long[] tokens;
        if (dataPath.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            using var file = new Training.TokenFile(dataPath, width);
            tokens = file.ReadAll();
        }
        else
        {
            var tokenizerPath = Path.Combine(modelDirectory, "tokenizer.json");
            if (!File.Exists(tokenizerPath)) throw new FileNotFoundException($"'{modelDirectory}' has no tokenizer.json to tokenise {dataPath}; give a .bin token file instead", tokenizerPath);
            tokens = Tokenizers.Load(tokenizerPath).Encode(File.ReadAllText(dataPath)).Select(t => (long)t).ToArray();
        }
        for (int i = 0; i < tokens.Length; i++)
            if (tokens[i] >= vocabSize) throw new InvalidDataException($"{dataPath}: token {tokens[i]} at position {i} is outside the model's vocabulary of {vocabSize}");
        return tokens;
    }
}
