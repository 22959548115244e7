using Sapling.Models.Gpt;
using Sapling.Data.Text;
using Sapling.Training.LanguageModel.Objectives;
using Sapling.Training.LanguageModel;

namespace Sapling.Training.Tests.LanguageModel;

/// <summary>DPO and distillation losses against values computed by hand, and both methods end to end.</summary>
public sealed class PostTrainingObjectiveTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sapling-post-").FullName;

    public void Dispose() => Directory.Delete(root, true);

    private static readonly CharTokenizer Tokenizer = CharTokenizer.Train(["abcdefgh 床前明月光"]);
    private static readonly GptConfig Small = new() { VocabSize = Tokenizer.VocabSize, NPositions = 32, NEmbd = 16, NLayer = 1, NHead = 2, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 };

    private static readonly PreferencePair[] Pairs =
    [
        new("ab", "cde", "edc"),
        new("床前", "明月光", "光月明"),
        new("a", "b", "hhhh"),
    ];

    /// <summary>log p(response | [eot] + prompt) summed token by token, with one forward pass per token prefix.</summary>
    private static double ResponseLogLikelihood(GptModel model, string prompt, string response)
    {
        int[] context = [Tokenizer.EndOfTextId, .. Tokenizer.Encode(prompt)];
        int[] answer = [.. Tokenizer.Encode(response), Tokenizer.EndOfTextId];
        double sum = 0;
        foreach (int next in answer)
        {
            var logits = model.Forward(Tensor.FromArray(context.Select(i => (long)i).ToArray(), 1, context.Length)).Narrow(1, context.Length - 1, 1).ToArray();
            double max = logits.Max();
            double logZ = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
            sum += logits[next] - logZ;
            context = [.. context, next];
        }
        return sum;
    }

    [Fact]
    public void TheDpoLossEqualsTheFormulaComputedByHand()
    {
        var reference = new GptModel(Small, new Generator(1));
        var policy = new GptModel(Small, new Generator(2));
        reference.Eval();
        policy.Eval();
        const float beta = 0.5f;
        var options = new LmOptions { BatchSize = 2, Context = 32, DpoBeta = beta, ValidationFraction = 0.34 };
        var objective = new PreferenceObjective(Pairs, Tokenizer, reference, options);
        var result = objective.Evaluate(policy, Pairs);

        double loss = 0, correct = 0, margin = 0;
        using (Autograd.NoGrad.Enter())
            foreach (var p in Pairs)
            {
                double chosen = beta * (ResponseLogLikelihood(policy, p.Prompt, p.Chosen) - ResponseLogLikelihood(reference, p.Prompt, p.Chosen));
                double rejected = beta * (ResponseLogLikelihood(policy, p.Prompt, p.Rejected) - ResponseLogLikelihood(reference, p.Prompt, p.Rejected));
                loss += -Math.Log(1 / (1 + Math.Exp(-(chosen - rejected))));
                correct += chosen > rejected ? 1 : 0;
                margin += chosen - rejected;
            }
        Assert.Equal(loss / Pairs.Length, result.Loss, 4);
        Assert.Equal(correct / Pairs.Length, result.Metrics["reward_accuracy"], 6);
        Assert.Equal(margin / Pairs.Length, result.Metrics["reward_margin"], 4);
        // A policy equal to its reference sits at log 2 with zero margin.
        var same = objective.Evaluate(reference, Pairs);
        Assert.Equal(Math.Log(2), same.Loss, 5);
        Assert.Equal(0, same.Metrics["reward_margin"], 5);
    }

    [Fact]
    public void PairsThatShareAPromptAreHeldOutTogether()
    {
        var pairs = Enumerable.Range(0, 20).SelectMany(i => new[]
        {
            new PreferencePair("ab"[..(1 + i % 2)] + "床前明月光"[i % 5] + i, "cd", "dc"),
            new PreferencePair("ab"[..(1 + i % 2)] + "床前明月光"[i % 5] + i, "cd", "c"),
        }).ToArray();
        var objective = new PreferenceObjective(pairs, Tokenizer, new GptModel(Small, new Generator(1)), new LmOptions { BatchSize = 4, Context = 32, ValidationFraction = 0.2 });
        Assert.Equal(4, objective.HeldOutPrompts.Count);
        var heldOut = pairs.Where(p => objective.HeldOutPrompts.Contains(p.Prompt)).ToArray();
        Assert.Equal(8, heldOut.Length); // both pairs of each held-out prompt
        Assert.Equal(objective.Validate(new GptModel(Small, new Generator(1))).Loss, objective.Evaluate(new GptModel(Small, new Generator(1)), heldOut).Loss, 6);
    }

    [Fact]
    public void DpoTrainsWithoutDropoutSoTheRewardsAreNotNoise()
    {
        var model = new GptModel(Small with { EmbdPdrop = 0.5f, AttnPdrop = 0.5f, ResidPdrop = 0.5f }, new Generator(2));
        var objective = new PreferenceObjective(Pairs, Tokenizer, new GptModel(Small, new Generator(1)), new LmOptions { BatchSize = 3, Context = 32, ValidationFraction = 0.34 });
        model.Train();
        float first = objective.TrainingLoss(model, step: 1).Loss.Item();
        float second = objective.TrainingLoss(model, step: 1).Loss.Item();
        Assert.Equal(first, second);
        Assert.False(model.Training);
    }

    [Fact]
    public void DpoTrainingLearnsToPreferTheChosenResponses()
    {
        var model = new GptModel(Small, new Generator(3));
        var folder = Path.Combine(root, "base");
        GptFolder.Save(folder, model);
        Tokenizer.Save(Path.Combine(folder, "tokenizer.json"));
        var pairs = Path.Combine(root, "pairs.jsonl");
        var lines = Enumerable.Range(0, 24).Select(i => System.Text.Json.JsonSerializer.Serialize(new { prompt = "ab"[..(1 + i % 2)] + "床前明月光"[i % 5], chosen = "cdefg"[..(2 + i % 3)], rejected = "hhhhh"[..(2 + i % 3)] })).ToList();
        lines.Insert(3, "{not json");
        lines.Insert(7, """{"prompt": "a", "chosen": ""}""");
        File.WriteAllLines(pairs, lines);
        var warnings = new List<string>();
        var options = new LmOptions
        {
            Method = TrainingMethod.Dpo, InitFrom = folder, Corpus = pairs, BatchSize = 4, Steps = 30, EvalInterval = 10, WarmupSteps = 2,
            LearningRate = 0.01, DpoBeta = 0.5f, ValidationFraction = 0.25, SampleTokens = 4, Seed = 1,
        };
        var result = new LmTrainer(options, new RecordingProgress(warnings)).Run(Path.Combine(root, "dpo"));
        Assert.Contains(warnings, w => w.Contains("2 rows skipped") && w.Contains("line 4") && w.Contains("line 8"));
        Assert.Equal(Math.Log(2), result.BaseValidationLoss, 4);
        Assert.True(result.ValidationLoss < 0.3, $"DPO validation loss {result.ValidationLoss}");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(result.RunDirectory, "results.json")));
        Assert.Equal(1.0, json.RootElement.GetProperty("reward_accuracy").GetDouble());
        Assert.True(json.RootElement.GetProperty("reward_margin").GetDouble() > 0);
    }

    [Fact]
    public void TheDistillationLossIsTheWeightedSumOfSoftKlAndHardCrossEntropy()
    {
        var teacher = new GptModel(Small, new Generator(4));
        var student = new GptModel(Small with { NEmbd = 8 }, new Generator(5));
        teacher.Eval();
        student.Eval();
        var documents = Enumerable.Range(0, 20).Select(i => Tokenizer.Encode("abcdefgh"[(i % 4)..] + "床前明月光")).ToList();
        var data = new TokenData(documents, Tokenizer.EndOfTextId, 0.2, 0);
        var options = new LmOptions { BatchSize = 2, Context = 8, DistillTemperature = 3f, DistillAlpha = 0.7f, Seed = 2 };
        var (loss, _) = new DistillationObjective(data, options, teacher).TrainingLoss(student, step: 1);

        var (x, y) = data.TrainBatch(2, 8, 2, 1);
        var t = teacher.Forward(x).Reshape(-1, Small.VocabSize).ToArray();
        var s = student.Forward(x).Reshape(-1, Small.VocabSize).ToArray();
        var targets = y.Reshape(-1).ToArray<long>();
        int rows = targets.Length, v = Small.VocabSize;
        double kl = 0, ce = 0;
        for (int r = 0; r < rows; r++)
        {
            var tr = t.AsSpan(r * v, v).ToArray().Select(z => z / 3.0).ToArray();
            var sr = s.AsSpan(r * v, v).ToArray().Select(z => z / 3.0).ToArray();
            double tz = LogSumExp(tr), sz = LogSumExp(sr);
            for (int k = 0; k < v; k++) kl += Math.Exp(tr[k] - tz) * ((tr[k] - tz) - (sr[k] - sz));
            var raw = s.AsSpan(r * v, v).ToArray().Select(z => (double)z).ToArray();
            ce += LogSumExp(raw) - raw[targets[r]];
        }
        double expected = 0.7 * 9 * kl / rows + 0.3 * ce / rows;
        Assert.Equal(expected, loss.Item(), 4);
    }

    private static double LogSumExp(double[] z)
    {
        double max = z.Max();
        return max + Math.Log(z.Sum(x => Math.Exp(x - max)));
    }
}
