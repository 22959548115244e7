using Sapling.Models;

namespace Sapling.Training.LanguageModel.Objectives;

/// <summary>The model kinds an objective needs, named when the model is of another kind.</summary>
public static class TrainableModels
{
    /// <summary>The model as a next-token predictor; refused by name for an encoder or a classifier of another family.</summary>
    public static ICausalLM AsCausalLM(this ITrainableModel model) => model as ICausalLM
        ?? throw new NotSupportedException($"this objective trains language models (next-token prediction); model_type '{model.ModelType}' ({model.GetType().Name}) is not one");

    /// <summary>The model as a text classifier with a head; refused by name otherwise.</summary>
    public static ISequenceClassifier AsSequenceClassifier(this ITrainableModel model) => model is ISequenceClassifier { Labels.Length: >= 2 } classifier ? classifier
        : throw new NotSupportedException($"method classify needs a model with a classification head; model_type '{model.ModelType}' ({model.GetType().Name}) has none");
}
