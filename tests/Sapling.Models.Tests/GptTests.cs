using System.Text.Json;
using Sapling.Models.Gpt;
using Sapling.Testing;

namespace Sapling.Models.Tests;

/// <summary>The GPT-2 implementation against a PyTorch GPT-2 in Hugging Face's layout (tests/fixtures/make_gpt2_fixtures.py).</summary>
public class GptTests
{
    private static string Folder => Path.Combine(Fixtures.Directory, "gpt2-tiny");

    private static JsonElement Expected => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json"))).RootElement;

    private static Tensor Ids(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        return Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);
    }

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    [Fact]
    public void LogitsLossAndGradientsMatchPyTorch()
    {
        var model = GptFolder.Load(Folder);
        var expected = Expected;
        var ids = Ids(expected.GetProperty("ids"));
        var logits = model.Forward(ids);
        TensorAssert.Close(Floats(expected.GetProperty("logits")), logits, rtol: 1e-4f, atol: 1e-4f);
        int v = model.Config.VocabSize, t = ids.Shape[1];
        var loss = Tensor.CrossEntropy(logits.Narrow(1, 0, t - 1).Reshape(-1, v), ids.Narrow(1, 1, t - 1).Reshape(-1));
        Assert.Equal((double)expected.GetProperty("loss").GetSingle(), (double)loss.Item(), 4);
        loss.Backward();
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var g in expected.GetProperty("grads").EnumerateObject())
            TensorAssert.Close(Floats(g.Value), parameters[g.Name].Grad!, rtol: 1e-3f, atol: 1e-5f, what: g.Name);
    }

    [Fact]
    public void GreedyGenerationWithAndWithoutCacheMatchesPyTorch()
    {
        var model = GptFolder.Load(Folder);
        var expected = Expected;
        var prompt = expected.GetProperty("prompt").EnumerateArray().Select(v => v.GetInt64()).ToList();
        var greedy = expected.GetProperty("greedy").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        using var _ = Autograd.NoGrad.Enter();

        var tokens = new List<long>(prompt);
        for (int i = 0; i < greedy.Length; i++)
        {
            var logits = model.Forward(Tensor.FromArray(tokens.ToArray(), 1, tokens.Count));
            tokens.Add(logits.Select(1, tokens.Count - 1).ArgMax(-1).ToArray<long>()[0]);
        }
        Assert.Equal(greedy, tokens.Skip(prompt.Count));

        var cache = model.NewCache(1);
        var cached = new List<long>(prompt);
        var step = model.Forward(Tensor.FromArray(prompt.ToArray(), 1, prompt.Count), cache);
        for (int i = 0; i < greedy.Length; i++)
        {
            long next = step.Select(1, step.Shape[1] - 1).ArgMax(-1).ToArray<long>()[0];
            cached.Add(next);
            step = model.Forward(Tensor.FromArray(new[] { next }, 1, 1), cache);
        }
        Assert.Equal(greedy, cached.Skip(prompt.Count));
    }

    [Fact]
    public void SavedFolderLoadsBackWithAndWithoutPrefix()
    {
        var model = GptFolder.Load(Folder);
        var dir = Directory.CreateTempSubdirectory("sapling-gpt-").FullName;
        try
        {
            GptFolder.Save(dir, model);
            var again = GptFolder.Load(dir);
            var ids = Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 1, 4);
            using var _ = Autograd.NoGrad.Enter();
            Assert.Equal(model.Forward(ids).ToArray(), again.Forward(ids).ToArray());
            Assert.Contains("\"n_embd\": 32", File.ReadAllText(Path.Combine(dir, "config.json")));
            Assert.DoesNotContain(IO.SafeTensors.LoadAll(Path.Combine(dir, "model.safetensors")).Keys, k => k.StartsWith("transformer."));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TooLongInputNamesTheContext()
    {
        var model = GptFolder.Load(Folder);
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros([1, 17], DType.Int64)));
        Assert.Contains("n_positions", ex.Message);
    }
}
