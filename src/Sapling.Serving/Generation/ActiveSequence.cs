using Sapling.Inference;
using Sapling.NN;
using Sapling.Data.Text;

namespace Sapling.Serving.Generation;

/// <summary>A request being decoded: its own KV cache, random stream, text decoder and stop-string watch.</summary>
internal sealed class ActiveSequence(GenerationRequest request, KvCache cache, ITokenizer tokenizer)
{
    public GenerationRequest Request { get; } = request;
    public KvCache Cache { get; } = cache;
    public Generator Random { get; } = new(request.Sampling.Seed);
    public List<int> Context { get; } = new(request.Prompt);
    public TokenTextStream Text { get; } = new(tokenizer);
    public StopMatcher Stops { get; } = new(request.Stops);
    public int Generated { get; set; }
    public int LastToken { get; set; }
}
