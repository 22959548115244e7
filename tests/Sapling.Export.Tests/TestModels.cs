using Sapling.Autograd;
using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;
using Sapling.NN;

namespace Sapling.Export.Tests;

/// <summary>Small random models of every exportable kind, in eval mode, with non-trivial norm statistics and affine parameters.</summary>
public static class TestModels
{
    public static IClassifier Mlp() => Classifier(new ClassifierConfig { ModelType = "mlp", InputShape = [12], HiddenSizes = [16, 8], NumClasses = 3, Dropout = 0.2f });

    public static IClassifier Cnn(bool batchNorm) => Classifier(new ClassifierConfig
    {
        ModelType = "cnn", InputShape = [2, 8, 8], Channels = [4, 6], HiddenSize = 10, NumClasses = 4, BatchNorm = batchNorm, Dropout = 0.3f,
    });

    public static IClassifier ResNet() => Classifier(new ClassifierConfig
    {
        ModelType = "resnet", InputShape = [3, 8, 8], Channels = [4, 8], BlocksPerStage = 2, NumClasses = 5,
    });

    public static GptModel Gpt(string activation = "gelu_new", Dictionary<string, int[]>? prunedHeads = null) => Randomized(new GptModel(new GptConfig
    {
        VocabSize = 37, NPositions = 16, NEmbd = 16, NLayer = 2, NHead = 4, ActivationFunction = activation, PrunedHeads = prunedHeads,
    }, new Generator(7)));

    private static IClassifier Classifier(ClassifierConfig config)
    {
        var classifier = ClassifierFolder.Create(config, new Generator(11));
        Randomized(classifier.Module);
        return classifier;
    }

    /// <summary>
    /// Fresh norms are the identity (scale 1, shift 0, mean 0, variance 1) and GPT biases start at 0, which would let
    /// an exporter that dropped them pass; this moves every vector away from its initial value.
    /// </summary>
    private static T Randomized<T>(T module) where T : Module
    {
        var generator = new Generator(3);
        using (NoGrad.Enter())
        {
            foreach (var (name, tensor) in module.StateDict())
            {
                if (tensor.DType != DType.Float32 || tensor.Rank != 1) continue;
                var noise = name.EndsWith("running_var", StringComparison.Ordinal)
                    ? Tensor.Rand(tensor.Shape.ToArray(), generator).Add(0.5f)
                    : tensor.Add(Tensor.Randn(tensor.Shape.ToArray(), generator).Mul(0.1f));
                tensor.CopyFrom(noise);
            }
        }
        module.Eval();
        return module;
    }

    public static Tensor Images(int batch, int[] shape, ulong seed) => Tensor.Randn([batch, .. shape], new Generator(seed));

    public static Tensor TokenIds(int batch, int length, int vocab, ulong seed) => Tensor.RandInt(0, vocab, [batch, length], new Generator(seed));

    /// <summary>Sapling's own eval-mode forward pass, the reference the exported file must match.</summary>
    public static Tensor Forward(Module<Tensor, Tensor> module, Tensor input)
    {
        using var _ = NoGrad.Enter();
        return module.Forward(input);
    }
}
