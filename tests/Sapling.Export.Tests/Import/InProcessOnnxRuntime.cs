using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Sapling.Export.Onnx;

namespace Sapling.Export.Tests.Import;

/// <summary>ONNX Runtime (NuGet Microsoft.ML.OnnxRuntime, CPU) in the test process: the oracle the import is checked against.</summary>
public static class InProcessOnnxRuntime
{
    /// <summary>Runs the model once; every output by name as a Sapling float32 tensor.</summary>
    public static Dictionary<string, Sapling.Tensor> Run(ModelProto model, IReadOnlyDictionary<string, Sapling.Tensor> inputs) => Run(model.ToByteArray(), inputs);

    public static Dictionary<string, Sapling.Tensor> Run(string path, IReadOnlyDictionary<string, Sapling.Tensor> inputs) => Run(File.ReadAllBytes(path), inputs);

    public static Dictionary<string, Sapling.Tensor> Run(byte[] model, IReadOnlyDictionary<string, Sapling.Tensor> inputs)
    {
        using var session = Open(model);
        return Run(session, inputs);
    }

    /// <summary>A session to run many inputs through (graph optimisations off: the plain operator semantics are the reference).</summary>
    public static InferenceSession Open(byte[] model)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        return new InferenceSession(model, options);
    }

    public static Dictionary<string, Sapling.Tensor> Run(InferenceSession session, IReadOnlyDictionary<string, Sapling.Tensor> inputs)
    {
        var feeds = new List<NamedOnnxValue>();
        foreach (var (name, tensor) in inputs)
        {
            var dims = tensor.Shape.ToArray();
            feeds.Add(tensor.DType switch
            {
                DType.Int64 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(tensor.Contiguous().ToArray<long>(), dims)),
                DType.Bool => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(tensor.Contiguous().ToArray<bool>(), dims)),
                _ => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(tensor.To(DType.Float32).Contiguous().ToArray<float>(), dims)),
            });
        }
        using var results = session.Run(feeds);
        var outputs = new Dictionary<string, Sapling.Tensor>();
        foreach (var r in results)
        {
            var shape = r.AsTensor<float>() is { } t ? t.Dimensions.ToArray() : [];
            outputs[r.Name] = Sapling.Tensor.FromArray(r.AsEnumerable<float>().ToArray(), shape);
        }
        return outputs;
    }
}
