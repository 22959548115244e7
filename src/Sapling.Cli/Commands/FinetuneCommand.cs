using System.CommandLine;
using Sapling.Cli.Config;
using Sapling.Cli.Progress;
using Sapling.Training.LanguageModel;
using Sapling.Training.Progress;

namespace Sapling.Cli.Commands;

/// <summary><c>sapling finetune config.yaml [--out DIR] [--set key=value ...] [--resume DIR]</c>: adapt a model folder by the config's method.</summary>
public static class FinetuneCommand
{
    /// <summary>Every training method but pretrain (which is `sapling train`), by config name.</summary>
    public static readonly string[] Methods = TrainingMethods.Names.Where(m => m != TrainingMethod.Pretrain.ConfigName()).ToArray();

    /// <summary>Builds the <c>sapling finetune</c> command with its options and action.</summary>
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "YAML config with method: full | lora | prompt | sft | distill | dpo | classify | token_classify | seq2seq and model.path (see configs/)" };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<config name>)" };
        var set = new Option<string[]>("--set") { Description = "Override a setting, e.g. --set lora.r=16 (repeatable)", AllowMultipleArgumentsPerToken = false };
        var resume = new Option<string?>("--resume") { Description = "Continue from a run folder or checkpoint" };
        var plain = new Option<bool>("--plain") { Description = "Print progress lines instead of live bars" };
        var cmd = new Command("finetune", "Fine-tune a model folder: all weights (full), LoRA adapters (lora), virtual tokens (prompt), instructions (sft), preference pairs (dpo), labelled texts (classify), tagged words (token_classify), source/target pairs (seq2seq); or distil a teacher into a new student (distill)") { config, output, set, resume, plain };
        cmd.SetAction(r => Run(r.GetValue(config)!, r.GetValue(output), r.GetValue(set) ?? [], r.GetValue(resume), r.GetValue(plain)));
        return cmd;
    }

    private static int Run(string configPath, string? output, string[] overrides, string? resume, bool plain)
    {
        var tree = ConfigTree.Load(configPath, overrides);
        // The library's messages about options name the keys of this config.
        using var names = OptionNames.Use(tree.OptionName);
        string method = tree.Get("method", "");
        if (!Methods.Contains(method)) throw new ArgumentException($"{configPath}: method must be one of {string.Join(", ", Methods)}, got '{method}'");
        if (method != "distill" && !tree.Has("model.path")) throw new ArgumentException($"{configPath}: model.path must name the model folder to fine-tune");
        string runDirectory = output ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(configPath));
        var options = LanguageModelConfig.Bind(tree);
        var trainer = (IProgressReporter reporter) => new LmTrainer(options, reporter).Run(runDirectory, resume, tree.ToYaml());
        var result = !plain && SpectreProgress.IsInteractive ? SpectreProgress.Create().Run(trainer) : trainer(new ConsoleProgress());
        Console.WriteLine($"run folder: {result.RunDirectory}");
        Console.WriteLine(double.IsNaN(result.BaseValidationLoss)
            ? $"validation loss {result.ValidationLoss:F3} (perplexity {Math.Exp(result.ValidationLoss):F2})"
            : $"validation loss {result.ValidationLoss:F3}, before fine-tuning {result.BaseValidationLoss:F3}");
        string model = result.AdapterDirectory != null ? $"{options.InitFrom} --adapter {result.AdapterDirectory}" : result.ModelDirectory;
        Console.WriteLine(options.Method switch
        {
            // LoRA runs also leave the merged model; prompt tuning needs its adapter on the (grown) base it names.
            TrainingMethod.Sft => $"try: sapling chat --model {result.ModelDirectory}{(options.Adaptation == TrainingMethod.Prompt ? $" --adapter {result.AdapterDirectory}" : "")}",
            TrainingMethod.Classify => $"try: sapling eval --model {result.ModelDirectory} --data FILE.jsonl{(options.StripHeaders ? " --strip-headers" : "")}; test report in {Path.Combine(result.RunDirectory, "classification_report.txt")}",
            TrainingMethod.Seq2Seq => $"try: sapling translate --model {result.ModelDirectory} --text \"...\"; test translations in {Path.Combine(result.RunDirectory, "test_predictions.jsonl")}",
            TrainingMethod.TokenClassify => $"try: sapling tag --model {result.ModelDirectory} --text \"...\"; test report in {Path.Combine(result.RunDirectory, "classification_report.txt")}",
            _ => $"try: sapling generate --model {model} --prompt \"...\"",
        });
        return Diverged(result.Diverged);
    }

    /// <summary>A diverged run kept its best finite model but still exits with <see cref="ExitCodes.Diverged"/>.</summary>
    internal static int Diverged(bool diverged)
    {
        if (!diverged) return ExitCodes.Success;
        Console.Error.WriteLine("error: training diverged (a non-finite loss or gradient); the model above is the best finite one kept before that");
        return ExitCodes.Diverged;
    }
}
