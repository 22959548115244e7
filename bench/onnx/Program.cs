// ResNet-18 at ImageNet size: Sapling against ONNX Runtime (inference) and, through torch_resnet.py, PyTorch.
//   dotnet run -c Release -- make DIR              writes DIR/resnet18 (Sapling folder, random weights) and DIR/resnet18.onnx
//   dotnet run -c Release -- ort FILE.onnx BATCH N  ONNX Runtime (2 threads, all graph optimisations) forward, N timed runs
//   dotnet run -c Release -- mapped DIR BATCH N     Sapling's torchvision-layout ResNet forward
//   dotnet run -c Release -- generic DIR BATCH N    Sapling's ONNX interpreter on the imported graph (DIR from `sapling import onnx --generic`)
//   dotnet run -c Release -- train DIR BATCH N      one fine-tuning step: forward, cross-entropy, backward, SGD with momentum
// Each prints one line: median milliseconds, images/s and the process's peak resident memory.
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Sapling;
using Sapling.Autograd;
using Sapling.Export;
using Sapling.Export.Import;
using Sapling.Models.Vision;
using Sapling.Optim;
using Tensor = Sapling.Tensor;

var mode = args[0];
if (mode == "make")
{
    var model = new TorchvisionResNet(TorchvisionResNetConfig.ForDepth(18), new Generator(1));
    model.Eval();
    TorchvisionResNetFolder.Save(Path.Combine(args[1], "resnet18"), model);
    OnnxModelFile.Save(OnnxExporter.Export(model), Path.Combine(args[1], "resnet18.onnx"));
    return;
}
string path = args[1];
int batch = int.Parse(args[2]), runs = int.Parse(args[3]);
var x = Tensor.Randn([batch, 3, 224, 224], generator: new Generator(2));
var times = new List<double>();
switch (mode)
{
    case "ort":
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(path, options);
        var data = x.Contiguous().ToArray<float>();
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(data, [batch, 3, 224, 224]);
        for (int r = 0; r <= runs; r++)
        {
            var watch = Stopwatch.StartNew();
            using var result = session.Run([NamedOnnxValue.CreateFromTensor("pixel_values", input)]);
            if (r > 0) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        break;
    }
    case "mapped" or "generic":
    {
        Func<Tensor, Tensor> forward = mode == "mapped" ? TorchvisionResNetFolder.Load(path).Forward : OnnxFolder.Load(path).Forward;
        for (int r = 0; r <= runs; r++)
        {
            using var scope = new TensorScope();
            var watch = Stopwatch.StartNew();
            using (NoGrad.Enter()) forward(x);
            if (r > 0) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        break;
    }
    case "train":
    {
        var model = TorchvisionResNetFolder.Load(path);
        model.Train();
        var optimizer = new Sgd(model.Parameters(), lr: 0.01, momentum: 0.9);
        var targets = Tensor.FromArray(Enumerable.Range(0, batch).Select(i => (long)(i % 1000)).ToArray(), batch);
        for (int r = 0; r <= runs; r++)
        {
            using var scope = new TensorScope();
            var watch = Stopwatch.StartNew();
            var loss = Tensor.CrossEntropy(model.Forward(x), targets);
            model.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (r > 0) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        break;
    }
    default:
        throw new ArgumentException($"unknown mode {mode}");
}
times.Sort();
double median = times[times.Count / 2];
Console.WriteLine($"{mode} batch {batch}: median {median:F0} ms ({batch * 1000 / median:F1} images/s) over {runs} runs; peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MB");
