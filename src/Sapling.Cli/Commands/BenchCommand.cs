using System.CommandLine;
using Sapling.Cli.Bench;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling bench gemm|ops</c>: kernel speed, printed as a table or as JSON for scripts.</summary>
public static class BenchCommand
{
    /// <summary>
    /// Builds the <c>sapling bench</c> command and its subcommands (gemm, ops, train, generate, decode, infer, llm,
    /// allreduce).
    /// </summary>
    public static Command Create()
    {
        var bench = new Command("bench", "Measure kernel and training speed");
        bench.Subcommands.Add(Gemm());
        bench.Subcommands.Add(Ops());
        bench.Subcommands.Add(Train());
        bench.Subcommands.Add(Generate());
        bench.Subcommands.Add(Decode());
        bench.Subcommands.Add(Infer());
        bench.Subcommands.Add(Llm());
        bench.Subcommands.Add(AllReduce());
        return bench;
    }

    private static Command AllReduce()
    {
        var nproc = new Option<int>("--nproc") { Description = "Ranks to start through mpirun (not needed under mpirun)", DefaultValueFactory = _ => 2 };
        var sizes = new Option<double[]>("--mb") { Description = "Buffer sizes in MB (0.001 = 1 KB: latency)", DefaultValueFactory = _ => [0.001, 1, 4, 25, 100], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per size (the median is reported)", DefaultValueFactory = _ => 11 };
        var cmd = new Command("allreduce", "Time MPI all-reduce of float32 buffers across ranks (Open MPI)") { nproc, sizes, repeats };
        cmd.SetAction(r =>
        {
            var mb = r.GetValue(sizes)!;
            int count = r.GetValue(repeats);
            if (!Distributed.ProcessGroups.LaunchedByMpirun(Distributed.ProcessGroups.CurrentEnvironment()))
                return MpirunLauncher.Run(r.GetValue(nproc), ["bench", "allreduce", "--repeats", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "--mb", .. mb.Select(m => m.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
            return AllReduceBench.Run(mb, count);
        });
        return cmd;
    }

    private static Command Gemm()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of a table" };
        var provider = new Option<string?>("--provider") { Description = "Measure only this provider in this process (managed or openblas); by default each provider runs in its own process" };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per shape (the median is reported)", DefaultValueFactory = _ => 9 };
        var threads = new Option<int>("--threads") { Description = "Threads for both providers", DefaultValueFactory = _ => Environment.ProcessorCount };
        var ghz = new Option<double>("--ghz") { Description = "Clock used for the theoretical peak", DefaultValueFactory = _ => 3.5 };
        var cmd = new Command("gemm", "GFLOP/s of the managed SGEMM and of OpenBLAS at square and transformer shapes") { json, provider, repeats, threads, ghz };
        cmd.SetAction(r => GemmBench.Run(r.GetValue(json), r.GetValue(provider), r.GetValue(repeats), r.GetValue(threads), r.GetValue(ghz)));
        return cmd;
    }

    private static Command Train()
    {
        var model = new Option<string>("--model") { Description = "Which network: cnn or gpt", DefaultValueFactory = _ => "cnn" };
        var size = new Option<string>("--config") { Description = "GPT size: A or B", DefaultValueFactory = _ => "A" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var steps = new Option<int>("--steps") { Description = "Timed steps (the median is reported)", DefaultValueFactory = _ => 15 };
        var cmd = new Command("train", "Time one training step of a reference network") { model, size, json, steps };
        cmd.SetAction(r => r.GetValue(model) == "gpt"
            ? GptBench.Train(r.GetValue(size)!, r.GetValue(json), r.GetValue(steps))
            : TrainBench.Run(r.GetValue(model)!, r.GetValue(json), r.GetValue(steps)));
        return cmd;
    }

    private static Command Generate()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var noCache = new Option<bool>("--no-cache") { Description = "Recompute every prefix instead of using the KV cache" };
        var repeats = new Option<int>("--repeats") { Description = "Timed generations (the median is reported)", DefaultValueFactory = _ => 5 };
        var cmd = new Command("generate", "Tokens per second of greedy generation with the reference GPT (config A, batch 1, 16 + 112 tokens)") { json, noCache, repeats };
        cmd.SetAction(r => GptBench.Generate(r.GetValue(json), r.GetValue(noCache), r.GetValue(repeats)));
        return cmd;
    }

    private static Command Decode()
    {
        var model = new Option<string>("--model") { Description = "GPT model folder", Required = true };
        var batches = new Option<string>("--batches") { Description = "Comma-separated batch sizes", DefaultValueFactory = _ => "1,2,4,8,16,32" };
        var past = new Option<int>("--past") { Description = "Positions already cached in every sequence", DefaultValueFactory = _ => 24 };
        var repeats = new Option<int>("--repeats") { Description = "Timed steps per batch size (the median is reported)", DefaultValueFactory = _ => 31 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var cmd = new Command("decode", "Time of one continuous-batching decode step (each sequence with its own KV cache) by batch size") { model, batches, past, repeats, json };
        cmd.SetAction(r => DecodeBench.Run(r.GetValue(model)!, r.GetValue(batches)!.Split(',').Select(int.Parse).ToArray(), r.GetValue(past), r.GetValue(repeats), r.GetValue(json)));
        return cmd;
    }

    private static Command Llm()
    {
        var model = new Option<string>("--model") { Description = "Language model folder (any registered model_type)", Required = true };
        var storage = new Option<string>("--storage") { Description = "mapped (weights used in place), native (read into memory in their dtype) or float32", DefaultValueFactory = _ => "native" };
        var prompt = new Option<int>("--prompt-tokens") { Description = "Prompt length for the prefill timing", DefaultValueFactory = _ => 512 };
        var newTokens = new Option<int>("--new-tokens") { Description = "Tokens to decode at batch 1", DefaultValueFactory = _ => 256 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var cmd = new Command("llm", "A language model at real size: load time, resident memory, prefill and batch-1 decode tokens/s against the memory-bandwidth ceiling") { model, storage, prompt, newTokens, json };
        cmd.SetAction(r => LlmBench.Run(r.GetValue(model)!, r.GetValue(storage) switch
        {
            "mapped" => Models.WeightStorage.Mapped,
            "native" => Models.WeightStorage.Native,
            "float32" => Models.WeightStorage.Float32,
            var other => throw new ArgumentException($"--storage: '{other}' is not mapped, native or float32"),
        }, r.GetValue(prompt), r.GetValue(newTokens), r.GetValue(json)));
        return cmd;
    }

    private static Command Infer()
    {
        var model = new Option<string>("--model") { Description = "Model folder to time (float32, quantized or pruned)", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs (the median is reported)", DefaultValueFactory = _ => 7 };
        var config = new Option<string?>("--config") { Description = "The model's training config (YAML): also report quality on its split (classifier test accuracy, GPT validation perplexity)" };
        var cmd = new Command("infer", "Inference speed of a model folder: GPT KV-cache generation and batched forward tokens/s, classifier examples/s") { model, config, json, repeats };
        cmd.SetAction(r => InferenceBench.Run(r.GetValue(model)!, r.GetValue(config), r.GetValue(json), r.GetValue(repeats)));
        return cmd;
    }

    private static Command Ops()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of a table" };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per op (the median is reported)", DefaultValueFactory = _ => 15 };
        var cmd = new Command("ops", "Forward+backward time of softmax, layer norm, GELU, cross-entropy and attention matmul") { json, repeats };
        cmd.SetAction(r => OpsBench.Run(r.GetValue(json), r.GetValue(repeats)));
        return cmd;
    }
}
