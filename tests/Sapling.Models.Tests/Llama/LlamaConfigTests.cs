using Sapling.Models.Llama;
using Sapling.NN;

namespace Sapling.Models.Tests.Llama;

/// <summary>config.json keys read as transformers reads them, and the ones Sapling cannot honour refused by name.</summary>
public class LlamaConfigTests
{
    private const string Base = """
        "vocab_size": 40, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
        "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64
        """;

    private static LlamaConfig Read(string extra) => LlamaConfig.FromJson("{" + Base + "," + extra + "}", "config.json");

    [Fact]
    public void FamilyDefaultsAndIdListsAreRead()
    {
        var qwen2 = Read("\"model_type\": \"qwen2\", \"eos_token_id\": [3, 7], \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}");
        Assert.True(qwen2.QkvBias);
        Assert.False(qwen2.OutputBias);
        Assert.Equal([3, 7], qwen2.EosTokenIds);
        Assert.Equal(RopeType.Linear, qwen2.RopeScaling.Type);
        Assert.Equal(4, qwen2.HeadDim);
        var qwen3 = Read("\"model_type\": \"qwen3\", \"head_dim\": 8, \"eos_token_id\": 5, \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 1000000.0}");
        Assert.True(qwen3.QkNorm);
        Assert.Equal(8, qwen3.HeadDim);
        Assert.Equal([5], qwen3.EosTokenIds);
        Assert.Equal(1e6, qwen3.RopeTheta);
        Assert.Equal(4, Read("\"model_type\": \"mistral\", \"sliding_window\": 4").SlidingWindow);
    }

    [Theory]
    [InlineData("\"model_type\": \"llama\", \"hidden_act\": \"gelu\"", "$.hidden_act")]
    [InlineData("\"model_type\": \"llama\", \"partial_rotary_factor\": 0.5", "$.partial_rotary_factor")]
    [InlineData("\"model_type\": \"llama\", \"attention_dropout\": 0.1", "$.attention_dropout")]
    [InlineData("\"model_type\": \"qwen2\", \"use_sliding_window\": true", "$.use_sliding_window")]
    [InlineData("\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"longrope\"}", "$.rope_scaling.rope_type")]
    [InlineData("\"model_type\": \"llama\", \"eos_token_id\": [1, \"x\"]", "$.eos_token_id[1]")]
    [InlineData("\"model_type\": \"gemma\"", "$.model_type")]
    public void WhatCannotBeHonouredIsRefusedByItsKey(string extra, string path)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(extra));
        Assert.Contains("config.json: " + path, e.Message);
    }

    [Fact]
    public void AnUnknownModelTypeIsRefusedWithTheKnownOnes()
    {
        var dir = Directory.CreateTempSubdirectory("sapling-registry-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\": \"gemma\"}");
            var e = Assert.Throws<NotSupportedException>(() => ModelRegistry.LoadLanguageModel(dir));
            Assert.Contains("model_type 'gemma'", e.Message);
            Assert.Contains("llama", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
