using System.CommandLine;
using Sapling.Inference;
using Sapling.Models;
using Sapling.Models.Adapters;
using Sapling.Data.Text;

namespace Sapling.Cli.Commands;

/// <summary>
/// <c>sapling chat --model DIR [--adapter DIR]</c>: a conversation on the console. Each line read is a user turn; the
/// whole history is rendered with the folder's chat template and the answer streams as it is generated. An empty
/// line or end of input ends the chat; "/reset" forgets the history.
/// </summary>
public static class ChatCommand
{
    /// <summary>Builds the <c>sapling chat</c> command with its options and action.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder with a chat template (tokenizer_config.json), e.g. the output of an sft run", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "A LoRA or prompt-tuning adapter folder to apply" };
        var system = new Option<string?>("--system") { Description = "A system message placed before the conversation" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Longest answer, in tokens", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.7f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 0.9f };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0 };
        var cmd = new Command("chat", "Talk with an instruction-tuned model; the chat template and history are applied for you") { model, adapter, system, maxNew, temperature, topP, seed };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(adapter), r.GetValue(system), new SamplingOptions
        {
            MaxNewTokens = r.GetValue(maxNew), Temperature = r.GetValue(temperature), TopP = r.GetValue(topP), Seed = r.GetValue(seed),
        }));
        return cmd;
    }

    private static int Run(string modelDirectory, string? adapterDirectory, string? system, SamplingOptions sampling)
    {
        // An sft run with adapters writes the grown base it trained on (run/base-model); pass that folder as --model.
        var template = ModelRegistry.LoadChatTemplate(modelDirectory)
            ?? throw new InvalidDataException($"'{modelDirectory}' declares no chat template (tokenizer_config.json); fine-tune it with method sft first");
        var model = PeftAdapter.LoadLanguageModel(modelDirectory, adapterDirectory);
        var tokenizer = ModelRegistry.RequireTokenizer(modelDirectory, "to chat with");
        if (!template.HasSpecialTokens(tokenizer)) throw new InvalidDataException($"the tokenizer of '{modelDirectory}' lacks the chat template's special tokens {string.Join(" ", template.SpecialTokens)}");
        var stops = template.StopIds(tokenizer);
        stops.UnionWith(PromptTokens.StopIds(model, tokenizer, GenerationConfig.Load(modelDirectory)));
        var history = new List<ChatMessage>();
        if (system != null) history.Add(new ChatMessage("system", system));
        bool interactive = !Console.IsInputRedirected;
        if (interactive) Console.WriteLine("(an empty line ends the chat; /reset forgets the history)");
        for (int turn = 0; ; turn++)
        {
            if (interactive) Console.Write("> ");
            var line = Console.ReadLine();
            if (string.IsNullOrWhiteSpace(line)) return 0;
            if (line.Trim() == "/reset")
            {
                history.RemoveAll(m => m.Role != "system");
                continue;
            }
            history.Add(new ChatMessage("user", line));
            int room = model.ContextLength - model.VirtualTokens;
            // The model sees only its context: forget the oldest turns (never the system message) until the prompt
            // leaves room for an answer, and cut the prompt's start only when the last question alone is too long.
            int answerRoom = Math.Min(sampling.MaxNewTokens, Math.Max(1, room / 2));
            var prompt = tokenizer.Encode(template.Render(history, addGenerationPrompt: true));
            while (prompt.Length + answerRoom > room && history.Count(m => m.Role != "system") > 1)
            {
                history.RemoveAt(history.FindIndex(m => m.Role != "system"));
                prompt = tokenizer.Encode(template.Render(history, addGenerationPrompt: true));
            }
            if (prompt.Length + answerRoom > room) prompt = prompt[^Math.Max(1, room - answerRoom)..];
            var stream = new TokenTextStream(tokenizer);
            var answer = TextGenerator.Generate(model, prompt, sampling with
            {
                MaxNewTokens = Math.Min(sampling.MaxNewTokens, room - prompt.Length),
                StopIds = stops,
                Seed = sampling.Seed + (ulong)turn,
            }, id => Console.Write(stream.Push(id)));
            Console.WriteLine(stream.Flush());
            history.Add(new ChatMessage("assistant", tokenizer.Decode(answer.Where(id => !stops.Contains(id)), skipSpecial: true)));
        }
    }
}
