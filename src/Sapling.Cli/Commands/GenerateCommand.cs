using System.CommandLine;
using System.Text.Json;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Data.Text;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling generate --model DIR (--prompt TEXT | --prompt-ids 1,2,3) [sampling options] [--json]</c></summary>
public static class GenerateCommand
{
    /// <summary>Builds the <c>sapling generate</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json, model.safetensors, optionally tokenizer.json)", Required = true };
        var prompt = new Option<string[]>("--prompt") { Description = "Text to continue (needs the folder's tokenizer.json); repeat it to generate for several prompts in one batch" };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Token ids to continue, comma separated" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "How many tokens to generate", DefaultValueFactory = _ => 64 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0 = all)", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1f };
        var penalty = new Option<float>("--repetition-penalty") { Description = "> 1 discourages repeating tokens", DefaultValueFactory = _ => 1f };
        var stop = new Option<string?>("--stop") { Description = "Stop after this text (one token) appears" };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\": [...], \"text\": ...}" };
        var adapter = new Option<string?>("--adapter") { Description = "A LoRA or prompt-tuning adapter folder (PEFT format) to apply to the model" };
        var cmd = new Command("generate", "Continue a prompt with a trained language model (KV-cached decoding)") { model, prompt, promptIds, maxNew, temperature, topK, topP, penalty, stop, seed, json, adapter };
        cmd.SetAction(r =>
        {
            // Settings left at their defaults take the folder's generation_config.json, as transformers does.
            var given = new HashSet<string>();
            foreach (var (name, option) in new (string, Option)[] { ("temperature", temperature), ("top_p", topP), ("top_k", topK), ("repetition_penalty", penalty), ("max_new_tokens", maxNew) })
                if (r.GetResult(option) is { Implicit: false }) given.Add(name);
            return Run(r.GetValue(model)!, r.GetValue(adapter), r.GetValue(prompt), r.GetValue(promptIds), new SamplingOptions
            {
                MaxNewTokens = r.GetValue(maxNew), Temperature = r.GetValue(temperature), TopK = r.GetValue(topK), TopP = r.GetValue(topP),
                RepetitionPenalty = r.GetValue(penalty), Seed = r.GetValue(seed),
            }, given, r.GetValue(stop), r.GetValue(json));
        });
        return cmd;
    }

    private static int Run(string modelDirectory, string? adapterDirectory, string[]? prompts, string? promptIds, SamplingOptions sampling, IReadOnlySet<string> given, string? stop, bool json)
    {
        var model = Models.Adapters.PeftAdapter.LoadLanguageModel(modelDirectory, adapterDirectory);
        var generation = GenerationConfig.Load(modelDirectory);
        if (generation != null) sampling = generation.ApplyTo(sampling, given);
        ITokenizer? tokenizer = ModelRegistry.LoadTokenizer(modelDirectory);
        var stops = PromptTokens.StopIds(model, tokenizer, generation);
        if (prompts is { Length: > 1 }) return RunBatch(model, tokenizer, prompts, sampling with { StopIds = stops }, json);
        string? prompt = prompts is { Length: 1 } ? prompts[0] : null;
        int[] ids;
        if (promptIds != null)
        {
            ids = promptIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, out int v) ? v : throw new ArgumentException($"--prompt-ids: '{s}' is not a token id")).ToArray();
        }
        else if (prompt != null)
        {
            if (tokenizer == null) throw new ArgumentException($"--prompt needs a tokenizer, and '{modelDirectory}' has no tokenizer (tokenizer.json); pass --prompt-ids instead");
            ids = PromptTokens.Encode(tokenizer, prompt);
            if (ids.Length == 0) throw new ArgumentException("--prompt: the prompt gives no tokens and the tokenizer adds no start token; pass --prompt-ids");
        }
        else
        {
            ids = tokenizer != null && tokenizer.EndOfTextId >= 0 ? [tokenizer.EndOfTextId] : throw new ArgumentException("give --prompt or --prompt-ids");
        }
        if (stop != null && tokenizer != null) foreach (var id in tokenizer.Encode(stop)) stops.Add(id);
        sampling = sampling with { StopIds = stops };
        if (!json && prompt != null) Console.Write(prompt);
        var stream = tokenizer != null && !json ? new TokenTextStream(tokenizer) : null;
        var generated = TextGenerator.Generate(model, ids, sampling, id =>
        {
            if (stream != null) Console.Write(stream.Push(id));
        });
        if (stream != null) Console.Write(stream.Flush());
        if (json)
        {
            var result = new Dictionary<string, object> { ["ids"] = generated };
            if (tokenizer != null) result["text"] = tokenizer.Decode(generated, skipSpecial: true);
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }
        else if (tokenizer == null)
        {
            Console.WriteLine(string.Join(",", generated));
        }
        else
        {
            Console.WriteLine();
        }
        return 0;
    }

    private static int RunBatch(Models.ICausalLM model, ITokenizer? tokenizer, string[] prompts, SamplingOptions sampling, bool json)
    {
        if (tokenizer == null) throw new ArgumentException("--prompt needs the model folder's tokenizer.json");
        var encoded = prompts.Select(p => (IReadOnlyList<int>)PromptTokens.Encode(tokenizer, p)).ToList();
        var outputs = TextGenerator.GenerateBatch(model, encoded, sampling);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(outputs.Select(o => new Dictionary<string, object> { ["ids"] = o, ["text"] = tokenizer.Decode(o, skipSpecial: true) }),
                new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return 0;
        }
        for (int i = 0; i < prompts.Length; i++) Console.WriteLine($"[{i + 1}] {prompts[i]}{tokenizer.Decode(outputs[i], skipSpecial: true)}");
        return 0;
    }
}
