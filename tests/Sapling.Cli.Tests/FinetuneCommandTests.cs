using System.Text.Json;

namespace Sapling.Cli.Tests;

[Collection("cli")]
public sealed class FinetuneCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-cli-ft-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(root, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private const string Train = """
        train:
          steps: 4
          batch_size: 4
          warmup_steps: 1
          eval_interval: 2
          eval_batches: 2
          sample_tokens: 4
        """;

    /// <summary>A tiny character GPT pretrained on a poem-like corpus; returns the corpus and the model folder.</summary>
    private (string Corpus, string Model) TrainBase(int context)
    {
        var corpus = Path.Combine(root, "poems.txt");
        File.WriteAllText(corpus, string.Join("\n%\n", Enumerable.Range(0, 30).Select(i => $"春眠不觉晓{i % 7}，处处闻啼鸟。")));
        var pretrain = Write("base.yaml", $"""
            task: language_model
            data:
              corpus: {corpus}
            model:
              context: {context}
              layers: 1
              heads: 2
              width: 16
            {Train}
            """);
        var (code, _, error) = CliRunner.Run("train", pretrain, "--out", Path.Combine(root, "base"), "--plain");
        Assert.True(code == 0, error);
        return (corpus, Path.Combine(root, "base", "model"));
    }

    [Fact]
    public void AnAdapterFromFinetuneWorksInGenerateAndEval()
    {
        var (corpus, baseModel) = TrainBase(context: 16);
        int code;
        string error;

        var lora = Write("lora.yaml", $"""
            method: lora
            model:
              path: {baseModel}
            lora:
              r: 2
              target_modules: [c_attn]
            data:
              corpus: {corpus}
            {Train}
            """);
        (code, var output, error) = CliRunner.Run("finetune", lora, "--out", Path.Combine(root, "lora"), "--plain", "--set", "lora.alpha=4");
        Assert.True(code == 0, error);
        Assert.Contains("trainable params: ", output);
        var adapter = Path.Combine(root, "lora", "adapter");
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))))
        {
            Assert.Equal(2, config.RootElement.GetProperty("r").GetInt32());
            Assert.Equal(4, config.RootElement.GetProperty("lora_alpha").GetDouble());
        }

        (code, output, error) = CliRunner.Run("generate", "--model", baseModel, "--adapter", adapter, "--prompt-ids", "1,2,3", "--max-new-tokens", "5", "--temperature", "0", "--json");
        Assert.True(code == 0, error);
        using (var generated = JsonDocument.Parse(output))
            Assert.Equal(5, generated.RootElement.GetProperty("ids").GetArrayLength());
        // The merged model in run/model generates the same tokens.
        (code, var mergedOutput, error) = CliRunner.Run("generate", "--model", Path.Combine(root, "lora", "model"), "--prompt-ids", "1,2,3", "--max-new-tokens", "5", "--temperature", "0", "--json");
        Assert.True(code == 0, error);
        Assert.Equal(JsonDocument.Parse(output).RootElement.GetProperty("ids").ToString(), JsonDocument.Parse(mergedOutput).RootElement.GetProperty("ids").ToString());

        (code, output, error) = CliRunner.Run("eval", "--model", baseModel, "--adapter", adapter, "--data", corpus, "--json");
        Assert.True(code == 0, error);
        using (var evaluated = JsonDocument.Parse(output))
            Assert.True(evaluated.RootElement.GetProperty("perplexity").GetDouble() > 1);
    }

    [Fact]
    public void AnSftModelChatsAndAPlainModelIsToldItHasNoTemplate()
    {
        var (_, baseModel) = TrainBase(context: 48);
        int code;
        string error;
        var qa = Path.Combine(root, "qa.jsonl");
        File.WriteAllLines(qa, Enumerable.Range(0, 20).Select(i => JsonSerializer.Serialize(new { prompt = $"春{i % 3}", response = "晓" })));
        var sft = Write("sft.yaml", $"""
            method: sft
            model:
              path: {baseModel}
            data:
              corpus: {qa}
              validation_fraction: 0.2
            {Train}
            """);
        (code, var output, error) = CliRunner.Run("finetune", sft, "--out", Path.Combine(root, "sft"), "--plain");
        Assert.True(code == 0, error);
        Assert.Contains("<|im_start|>", File.ReadAllText(Path.Combine(root, "sft", "model", "tokenizer_config.json")));

        (code, output, error) = CliRunner.RunWithInput("春1\n春2\n\n", "chat", "--model", Path.Combine(root, "sft", "model"), "--temperature", "0", "--max-new-tokens", "3");
        Assert.True(code == 0, error);
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // one answer line per question

        (code, _, error) = CliRunner.RunWithInput("hi\n", "chat", "--model", baseModel);
        Assert.Equal(2, code);
        Assert.Contains("no chat template", error);

        // sft.chat_template picks another conversation format; the folder then declares it and chats in it.
        var zephyr = Write("sft-zephyr.yaml", File.ReadAllText(sft) + "\nsft:\n  chat_template: zephyr\n");
        (code, _, error) = CliRunner.Run("finetune", zephyr, "--out", Path.Combine(root, "sft-zephyr"), "--plain");
        Assert.True(code == 0, error);
        Assert.Contains("<|assistant|>", File.ReadAllText(Path.Combine(root, "sft-zephyr", "model", "tokenizer_config.json")));
        (code, output, error) = CliRunner.RunWithInput("春1\n\n", "chat", "--model", Path.Combine(root, "sft-zephyr", "model"), "--temperature", "0", "--max-new-tokens", "3");
        Assert.True(code == 0, error);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        (code, _, error) = CliRunner.Run("finetune", Write("sft-bad.yaml", File.ReadAllText(sft) + "\nsft:\n  chat_template: vicuna\n"), "--out", Path.Combine(root, "sft-bad"), "--plain");
        Assert.Equal(2, code);
        Assert.Contains("sft.chat_template", error);
    }

    [Fact]
    public void AnUnknownMethodOrAMissingModelIsAClearError()
    {
        var (code, _, error) = CliRunner.Run("finetune", Write("bad.yaml", "method: magic\nmodel:\n  path: x\n"));
        Assert.Equal(2, code);
        Assert.Contains("full, lora, prompt, sft, distill, dpo", error);
        (code, _, error) = CliRunner.Run("finetune", Write("nomodel.yaml", "method: lora\n"));
        Assert.Equal(2, code);
        Assert.Contains("model.path", error);
    }
}
