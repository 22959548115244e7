using Sapling.Models.Bert;
using Sapling.Models.DistilBert;
using Sapling.Models.Roberta;
using Sapling.Testing;

namespace Sapling.Models.Tests.Bert;

/// <summary>
/// Gradient checkpointing in the encoder families (train.gradient_checkpointing): with dropout on and a padded batch,
/// recomputing each layer in backward gives the same loss and the same gradient for every parameter as keeping the
/// activations, for BERT, RoBERTa and DistilBERT heads alike.
/// </summary>
public sealed class EncoderGradientCheckpointingTests
{
    private static readonly Tensor Ids = Tensor.FromArray(new long[] { 2, 17, 45, 38, 9, 3, 2, 61, 5, 3, 4, 4 }, 2, 6);
    private static readonly Tensor Mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, 2, 6);
    private static readonly Tensor Classes = Tensor.FromArray(new long[] { 1, 0 }, 2);
    private static readonly Tensor Tags = Tensor.FromArray(new long[] { 0, 1, 2, 0, 1, 2, 2, 1, 0, 2, 0, 0 }, 12);

    private static BertConfig Bert(string type) => new()
    {
        ModelType = type, VocabSize = 70, HiddenSize = 32, NumHiddenLayers = 3, NumAttentionHeads = 2, IntermediateSize = 40,
        MaxPositionEmbeddings = 24, TypeVocabSize = 1, PadTokenId = 4, HiddenDropoutProb = 0.2f, AttentionProbsDropoutProb = 0.2f,
        Labels = ["a", "b", "c"],
    };

    private static readonly DistilBertConfig Distil = new()
    {
        VocabSize = 70, Dim = 24, NLayers = 3, NHeads = 3, HiddenDim = 40, MaxPositionEmbeddings = 16, PadTokenId = 4,
        Dropout = 0.2f, AttentionDropout = 0.2f, Labels = ["a", "b", "c"],
    };

    public static TheoryData<string> Models => new() { "bert-sequence", "bert-token", "roberta-sequence", "bert-masked-lm", "distilbert-sequence", "distilbert-token" };

    [Theory]
    [MemberData(nameof(Models))]
    public void CheckpointingGivesTheSameLossAndGradients(string kind)
    {
        Dictionary<string, Tensor> Step(bool checkpointing, out float loss)
        {
            // The same weights (seeded construction) and the same dropout masks (the default generator) in both runs.
            Generator.Default.ManualSeed(11);
            ITrainableModel model = kind switch
            {
                "bert-sequence" => new BertForSequenceClassification(Bert(BertConfig.Type), new Generator(3)),
                "bert-token" => new BertForTokenClassification(Bert(BertConfig.Type), new Generator(3)),
                "roberta-sequence" => new RobertaForSequenceClassification(Bert(BertConfig.RobertaType), new Generator(3)),
                "bert-masked-lm" => new BertForMaskedLM(Bert(BertConfig.Type) with { Labels = [] }, new Generator(3)),
                "distilbert-sequence" => new DistilBertForSequenceClassification(Distil, new Generator(3)),
                _ => new DistilBertForTokenClassification(Distil, new Generator(3)),
            };
            model.GradientCheckpointing = checkpointing;
            Assert.Equal(checkpointing, model.GradientCheckpointing);
            model.Network.Train();
            var lengths = new[] { 6, 4 };
            var l = model switch
            {
                ISequenceClassifier c => Tensor.CrossEntropy(c.Classify(Ids, lengths), Classes),
                ITokenClassifier t => Tensor.CrossEntropy(t.ClassifyTokens(Ids, lengths).Reshape(12, 3), Tags),
                BertForMaskedLM m => Tensor.CrossEntropy(m.Forward(Ids, Mask).Reshape(12, 70), Ids.Reshape(12)),
                _ => throw new InvalidOperationException(kind),
            };
            // Each layer is one checkpoint node in the graph when recomputed, none otherwise.
            Assert.Equal(checkpointing ? 3 : 0, CheckpointNodes(l));
            l.Backward();
            loss = l.Item();
            return model.Network.NamedParameters().Where(p => p.Parameter.Grad != null).ToDictionary(p => p.Name, p => p.Parameter.Grad!);
        }
        var plain = Step(false, out float plainLoss);
        var checkpointed = Step(true, out float checkpointedLoss);
        Assert.Equal(plainLoss, checkpointedLoss);
        Assert.Equal(plain.Keys.Order(), checkpointed.Keys.Order());
        Assert.Contains(plain.Keys, name => name.Contains("layer.0.", StringComparison.Ordinal));
        foreach (var (name, grad) in plain) TensorAssert.Close(grad, checkpointed[name], 1e-5f, 1e-6f, name);
    }

    private static int CheckpointNodes(Tensor loss)
    {
        var seen = new HashSet<Autograd.GradFn>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<Autograd.GradFn>();
        if (loss.GradFn != null) pending.Push(loss.GradFn);
        int count = 0;
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (!seen.Add(node)) continue;
            if (node.Name == "checkpoint") count++;
            foreach (var input in node.Inputs)
                if (input.GradFn != null) pending.Push(input.GradFn);
        }
        return count;
    }
}
