namespace Sapling.Training.LanguageModel;

/// <summary>Which hidden states a new GPT classification head reads (config <c>classify.pooling</c>).</summary>
public enum ClassifierPooling
{
    /// <summary>The last real token's, as transformers' GPT2ForSequenceClassification does.</summary>
    Last,
    /// <summary>The mean over the real tokens.</summary>
    Mean,
}
