using System.Text.Json;

namespace Sapling.Cli.Tests;

/// <summary>
/// The Llama family through the training verbs: pretraining from scratch (model.architecture: llama), LoRA with PEFT's
/// names on the family's default layers, full fine-tuning and distillation, and the results generate and evaluate.
/// </summary>
[Collection("cli")]
public sealed class LlamaTrainingTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-llama-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(root, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private const string Train = """
        train:
          steps: 6
          batch_size: 4
          warmup_steps: 1
          eval_interval: 3
          eval_batches: 2
          sample_tokens: 4
        """;

    private string Corpus()
    {
        var corpus = Path.Combine(root, "poems.txt");
        File.WriteAllText(corpus, string.Join("\n%\n", Enumerable.Range(0, 30).Select(i => $"春眠不觉晓{i % 7}，处处闻啼鸟。")));
        return corpus;
    }

    private string Pretrain(string corpus, int context = 16, string architecture = "llama")
    {
        var config = Write($"{architecture}.yaml", $"""
            task: language_model
            data:
              corpus: {corpus}
            model:
              architecture: {architecture}
              context: {context}
              layers: 2
              heads: 2
            {(architecture == "llama" ? "  kv_heads: 1" : "")}
              width: 16
            {Train}
            """);
        var (code, output, error) = CliRunner.Run("train", config, "--out", Path.Combine(root, "base"), "--plain");
        Assert.True(code == 0, error);
        Assert.Contains(architecture == "llama" ? "llama: " : "gpt2: ", output);
        return Path.Combine(root, "base", "model");
    }

    [Fact]
    public void ALlamaPretrainedFromScratchGeneratesEvaluatesAndTakesALoraAdapter()
    {
        var corpus = Corpus();
        var model = Pretrain(corpus);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "config.json"))))
        {
            Assert.Equal("llama", config.RootElement.GetProperty("model_type").GetString());
            Assert.Equal(1, config.RootElement.GetProperty("num_key_value_heads").GetInt32());
        }
        var (code, output, error) = CliRunner.Run("generate", "--model", model, "--prompt", "春眠", "--max-new-tokens", "6", "--temperature", "0", "--json");
        Assert.True(code == 0, error);
        Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("ids").GetArrayLength() > 0);
        (code, output, error) = CliRunner.Run("eval", "--model", model, "--data", corpus, "--json");
        Assert.True(code == 0, error);
        Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("perplexity").GetDouble() > 1);

        var lora = Write("lora.yaml", $"""
            method: lora
            model:
              path: {model}
            lora:
              r: 2
            data:
              corpus: {corpus}
            {Train}
            """);
        (code, output, error) = CliRunner.Run("finetune", lora, "--out", Path.Combine(root, "lora"), "--plain");
        Assert.True(code == 0, error);
        var adapter = Path.Combine(root, "lora", "adapter");
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))))
        {
            Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], config.RootElement.GetProperty("target_modules").EnumerateArray().Select(t => t.GetString()));
            Assert.False(config.RootElement.GetProperty("fan_in_fan_out").GetBoolean());
        }
        using (var weights = IO.SafeTensorsFile.Open(Path.Combine(adapter, "adapter_model.safetensors")))
            Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", weights.Names);
        (code, output, error) = CliRunner.Run("generate", "--model", model, "--adapter", adapter, "--prompt", "春眠", "--max-new-tokens", "4", "--temperature", "0", "--json");
        Assert.True(code == 0, error);
        // The merged model the run left behind is an ordinary llama folder.
        (code, _, error) = CliRunner.Run("generate", "--model", Path.Combine(root, "lora", "model"), "--prompt", "春眠", "--max-new-tokens", "4", "--temperature", "0");
        Assert.True(code == 0, error);
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("gpt2")]
    public void APretrainedModelExportsToGgufAndGeneratesAndEvaluatesTheSameFromIt(string architecture)
    {
        var corpus = Corpus();
        var model = Pretrain(corpus, context: 32, architecture);
        var gguf = Path.Combine(root, "model-f32.gguf");
        var (code, output, error) = CliRunner.Run("export", "--model", model, "--format", "gguf", "--type", "f32", "--out", gguf);
        Assert.True(code == 0, error);
        Assert.Contains("f32", output);
        string[] generate = ["--prompt", "春眠", "--max-new-tokens", "8", "--temperature", "0", "--json"];
        (code, var fromFolder, error) = CliRunner.Run(["generate", "--model", model, .. generate]);
        Assert.True(code == 0, error);
        (code, var fromGguf, error) = CliRunner.Run(["generate", "--model", gguf, .. generate]);
        Assert.True(code == 0, error);
        Assert.Equal(JsonDocument.Parse(fromFolder).RootElement.GetProperty("ids").ToString(), JsonDocument.Parse(fromGguf).RootElement.GetProperty("ids").ToString());
        (code, var folderEval, error) = CliRunner.Run("eval", "--model", model, "--data", corpus, "--json");
        Assert.True(code == 0, error);
        (code, var ggufEval, error) = CliRunner.Run("eval", "--model", gguf, "--data", corpus, "--json");
        Assert.True(code == 0, error);
        Assert.Equal(JsonDocument.Parse(folderEval).RootElement.GetProperty("loss").GetDouble(), JsonDocument.Parse(ggufEval).RootElement.GetProperty("loss").GetDouble(), 6);
        // A width of 16 is no whole 32-element block: the quantised types fall back to f16 rows, as llama.cpp's quantiser does.
        (code, _, error) = CliRunner.Run("export", "--model", model, "--format", "gguf", "--type", "q4_k_m", "--out", Path.Combine(root, "model-q4_k_m.gguf"));
        Assert.True(code == 0, error);
        (code, _, error) = CliRunner.Run(["generate", "--model", Path.Combine(root, "model-q4_k_m.gguf"), .. generate]);
        Assert.True(code == 0, error);
        // quantize --type writes the same GGUF file for the block formats.
        (code, output, error) = CliRunner.Run("quantize", "--model", model, "--type", "q8_0", "--out", Path.Combine(root, "model-q8_0.gguf"));
        Assert.True(code == 0, error);
        Assert.Contains("q8_0, GGUF", output);
        (code, _, error) = CliRunner.Run(["generate", "--model", Path.Combine(root, "model-q8_0.gguf"), .. generate]);
        Assert.True(code == 0, error);
        (code, _, error) = CliRunner.Run("export", "--model", model, "--format", "gguf", "--type", "q3_k", "--out", Path.Combine(root, "x.gguf"));
        Assert.NotEqual(0, code);
        Assert.Contains("--type q3_k is not supported", error);
    }

    [Fact]
    public void SftGrowsALlamaVocabularyWithTheTemplatesMarkersAndTheResultChats()
    {
        var corpus = Corpus();
        // ChatML's markers and the question take about 30 characters: the context must reach the answer.
        var model = Pretrain(corpus, context: 48);
        var conversations = Path.Combine(root, "chat.jsonl");
        File.WriteAllLines(conversations, Enumerable.Range(0, 20).Select(i => JsonSerializer.Serialize(new { prompt = $"春眠{i % 5}", response = "处处闻啼鸟" })));
        var sft = Write("sft.yaml", $"""
            method: sft
            model:
              path: {model}
            data:
              corpus: {conversations}
            {Train}
            """);
        var (code, output, error) = CliRunner.Run("finetune", sft, "--out", Path.Combine(root, "sft"), "--plain");
        Assert.True(code == 0, error);
        Assert.Contains("added the chat template's special tokens", output);
        // A context the template's markers fill is refused by name, not reported as a diverged run.
        (code, _, error) = CliRunner.Run("finetune", sft, "--out", Path.Combine(root, "sft-short"), "--plain", "--set", "model.context=12");
        Assert.NotEqual(0, code);
        Assert.Contains("falls within the first 12 tokens (model.context)", error);
        var chatModel = Path.Combine(root, "sft", "model");
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(chatModel, "config.json"))))
            Assert.Equal("llama", config.RootElement.GetProperty("model_type").GetString());
        (code, output, error) = CliRunner.RunWithInput("春眠1\n", "chat", "--model", chatModel, "--temperature", "0", "--max-new-tokens", "6");
        Assert.True(code == 0, error);
    }

    [Fact]
    public void FullFineTuningAndDistillationRunOnLlamaModels()
    {
        var corpus = Corpus();
        var model = Pretrain(corpus);
        var full = Write("full.yaml", $"""
            method: full
            model:
              path: {model}
            data:
              corpus: {corpus}
            {Train}
            """);
        var (code, output, error) = CliRunner.Run("finetune", full, "--out", Path.Combine(root, "full"), "--plain");
        Assert.True(code == 0, error);
        Assert.Contains("validation loss before training", output);
        var distill = Write("distill.yaml", $"""
            task: language_model
            method: distill
            distill:
              teacher: {model}
            data:
              corpus: {corpus}
            model:
              architecture: llama
              context: 16
              layers: 1
              heads: 2
              width: 16
            {Train}
            """);
        (code, _, error) = CliRunner.Run("train", distill, "--out", Path.Combine(root, "distill"), "--plain");
        Assert.True(code == 0, error);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "distill", "results.json")));
        Assert.True(results.RootElement.GetProperty("teacher_val_loss").GetDouble() > 0);
    }
}
