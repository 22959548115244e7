namespace Sapling.Serving.Generation;

/// <summary>
/// The end: <paramref name="FinishReason"/> is "stop" (end token or stop string), "length" (max tokens or the context),
/// or "timeout" (the request's deadline passed).
/// </summary>
public sealed record Finished(string FinishReason, int PromptTokens, int CompletionTokens) : GenerationEvent;
