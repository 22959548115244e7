// ResNet-18 at ImageNet size: Sapling against ONNX Runtime (inference) and, through torch_resnet.py, PyTorch.
//   dotnet run -c Release -- make DIR              writes DIR/resnet18 (Sapling folder, random weights) and DIR/resnet18.onnx
//   dotnet run -c Release -- ort FILE.onnx BATCH N  ONNX Runtime (2 threads, all graph optimisations) forward, N timed runs
//   dotnet run -c Release -- mapped DIR BATCH N     Sapling's torchvision-layout ResNet forward
//   dotnet run -c Release -- generic DIR BATCH N    Sapling's ONNX interpreter on the imported graph (DIR from `sapling import onnx --generic`)
//   dotnet run -c Release -- train DIR BATCH N      one fine-tuning step: forward, cross-entropy, backward, SGD with momentum
//   dotnet run -c Release -- bert-ort FILE.onnx BATCH N    a BERT ONNX file (all-MiniLM-L6-v2) in ONNX Runtime, BATCH × 128 tokens
//   dotnet run -c Release -- bert DIR BATCH N               the same through Sapling's BertModel (DIR from `sapling import onnx`)
//   dotnet run -c Release -- layers DIR BATCH N     each of ResNet-18's convolution shapes alone (with batch norm and ReLU
//                                                   as one fused op), in Sapling and in ONNX Runtime on DIR/conv_NAME.onnx
//                                                   (written by torch_conv_layers.py); median ms and GFLOP/s per shape
// Each prints one line: median milliseconds (after three untimed runs), images/s and the process's peak resident memory.
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
// Runs before the timed ones, for every runtime: a fresh .NET process runs its first two or three forward passes 20–25%
// slower while tiered compilation replaces quickly compiled code with optimised code.
const int Warmup = 3;
// The same provider choice as the CLI's --blas default, so rounds can compare Sapling's GEMM with OpenBLAS.
if (Environment.GetEnvironmentVariable("SAPLING_BLAS") is { Length: > 0 } blas) Sapling.Backends.Cpu.Gemm.Provider = Sapling.Backends.Cpu.Gemm.Parse(blas);
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
var times = new List<double>();
if (mode is "bert-ort" or "bert")
{
    const int tokens = 128;
    var random = new Random(3);
    var ids = Enumerable.Range(0, batch * tokens).Select(i => (long)(i % tokens == 0 ? 101 : random.Next(1000, 30000))).ToArray();
    var mask = Enumerable.Repeat(1L, batch * tokens).ToArray();
    var types = new long[batch * tokens];
    if (mode == "bert-ort")
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(path, options);
        int[] dims = [batch, tokens];
        var feeds = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>(ids, dims)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>(mask, dims)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>(types, dims)),
        };
        for (int r = 0; r < Warmup + runs; r++)
        {
            var watch = Stopwatch.StartNew();
            using var result = session.Run(feeds);
            if (r >= Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
        }
    }
    else
    {
        var model = Sapling.Models.Bert.BertFolder.Load(path);
        var idTensor = Tensor.FromArray(ids, batch, tokens);
        var maskTensor = Tensor.FromArray(mask, batch, tokens);
        for (int r = 0; r < Warmup + runs; r++)
        {
            using var scope = new TensorScope();
            var watch = Stopwatch.StartNew();
            using (NoGrad.Enter()) model.Forward(idTensor, maskTensor);
            if (r >= Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
        }
    }
    times.Sort();
    double m = times[times.Count / 2];
    Console.WriteLine($"{mode} batch {batch} x {tokens} tokens: median {m:F0} ms ({batch * 1000 / m:F1} sentences/s) over {runs} runs; peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MB");
    return;
}
if (mode == "layers")
{
    ConvLayers(path, batch, runs);
    return;
}
var x = Tensor.Randn([batch, 3, 224, 224], generator: new Generator(2));
switch (mode)
{
    case "ort":
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(path, options);
        var data = x.Contiguous().ToArray<float>();
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(data, [batch, 3, 224, 224]);
        for (int r = 0; r < Warmup + runs; r++)
        {
            var watch = Stopwatch.StartNew();
            using var result = session.Run([NamedOnnxValue.CreateFromTensor("pixel_values", input)]);
            if (r >= Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        break;
    }
    case "mapped" or "generic":
    {
        Func<Tensor, Tensor> forward = mode == "mapped" ? TorchvisionResNetFolder.Load(path).Forward : OnnxFolder.Load(path).Forward;
        for (int r = 0; r < Warmup + runs; r++)
        {
            using var scope = new TensorScope();
            var watch = Stopwatch.StartNew();
            using (NoGrad.Enter()) forward(x);
            if (r >= Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        break;
    }
    case "train":
    {
        var model = TorchvisionResNetFolder.Load(path);
        model.Train();
        var optimizer = new Sgd(model.Parameters(), lr: 0.01, momentum: 0.9);
        var targets = Tensor.FromArray(Enumerable.Range(0, batch).Select(i => (long)(i % 1000)).ToArray(), batch);
        for (int r = 0; r < Warmup + runs; r++)
        {
            using var scope = new TensorScope();
            var watch = Stopwatch.StartNew();
            var loss = Tensor.CrossEntropy(model.Forward(x), targets);
            model.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            if (r >= Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        break;
    }
    default:
        throw new ArgumentException($"unknown mode {mode}");
}
times.Sort();
double median = times[times.Count / 2];
Console.WriteLine($"{mode} batch {batch}: median {median:F0} ms ({batch * 1000 / median:F1} images/s) over {runs} runs; peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MB");

// ResNet-18's convolutions at 224×224 (name, in, out, kernel, stride, padding, input size, uses in the network).
static void ConvLayers(string dir, int batch, int runs)
{
    (string Name, int In, int Out, int K, int S, int P, int Size, int Uses)[] layers =
    [
        ("stem", 3, 64, 7, 2, 3, 224, 1), ("l1", 64, 64, 3, 1, 1, 56, 4), ("l2down", 64, 128, 3, 2, 1, 56, 1), ("l2", 128, 128, 3, 1, 1, 28, 3),
        ("l2skip", 64, 128, 1, 2, 0, 56, 1), ("l3down", 128, 256, 3, 2, 1, 28, 1), ("l3", 256, 256, 3, 1, 1, 14, 3), ("l3skip", 128, 256, 1, 2, 0, 28, 1),
        ("l4down", 256, 512, 3, 2, 1, 14, 1), ("l4", 512, 512, 3, 1, 1, 7, 3), ("l4skip", 256, 512, 1, 2, 0, 14, 1),
    ];
    double sapling = 0, ort = 0, flops = 0;
    Console.WriteLine("| layer | Sapling ms | GFLOP/s | ONNX Runtime ms | GFLOP/s | uses |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|");
    foreach (var (name, cin, cout, k, s, p, size, uses) in layers)
    {
        int outSize = (size + 2 * p - k) / s + 1;
        double flop = 2.0 * batch * cout * cin * k * k * outSize * outSize;
        var input = Tensor.Randn([batch, cin, size, size], generator: new Generator(3));
        var weight = Tensor.Randn([cout, cin, k, k], generator: new Generator(4));
        var (scale, shift) = (Tensor.Ones(cout), Tensor.Zeros(cout));
        var mine = new List<double>();
        for (int r = 0; r < Warmup + runs; r++)
        {
            using var scope = new TensorScope();
            var watch = Stopwatch.StartNew();
            using (NoGrad.Enter()) Tensor.FusedConv2d(input, weight, scale, shift, relu: true, stride: (s, s), padding: (p, p));
            if (r >= Warmup) mine.Add(watch.Elapsed.TotalMilliseconds);
        }
        var theirs = new List<double>();
        string file = Path.Combine(dir, $"conv_{name}.onnx");
        if (File.Exists(file))
        {
            using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            using var session = new InferenceSession(file, options);
            var feed = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(input.Contiguous().ToArray<float>(), [batch, cin, size, size]);
            string inputName = session.InputMetadata.Keys.First();
            for (int r = 0; r < Warmup + runs; r++)
            {
                var watch = Stopwatch.StartNew();
                using var result = session.Run([NamedOnnxValue.CreateFromTensor(inputName, feed)]);
                if (r >= Warmup) theirs.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        double a = Median(mine), b = theirs.Count > 0 ? Median(theirs) : double.NaN;
        sapling += a * uses;
        ort += b * uses;
        flops += flop * uses;
        Console.WriteLine($"| {name} {cin}→{cout} {k}×{k}/{s} at {size}² | {a:F1} | {flop / a / 1e6:F0} | {b:F1} | {flop / b / 1e6:F0} | {uses} |");
    }
    Console.WriteLine($"| all convolutions of the network | {sapling:F0} | {flops / sapling / 1e6:F0} | {ort:F0} | {flops / ort / 1e6:F0} | |");
}

static double Median(List<double> values)
{
    values.Sort();
    return values[values.Count / 2];
}
