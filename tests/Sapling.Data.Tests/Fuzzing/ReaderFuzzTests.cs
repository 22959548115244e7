using System.Text;
using Sapling.Testing;
using Sapling.Data.Text;
using Sapling.Data.Text.Jinja;
using Xunit.Abstractions;
using Sapling.Data.Vision.Codecs;

namespace Sapling.Data.Tests.Fuzzing;

/// <summary>
/// Mutation fuzzing of the readers of Sapling.Data: each input is read or refused with a named error (the reader's
/// own exception type, naming the file); no raw .NET exception, hang or unbounded allocation. Seeds are the
/// project's own fixtures and files written here; counts are printed (dotnet test --logger "console;verbosity=detailed").
/// </summary>
public sealed class ReaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sapling-fuzz-data-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private void Check(FuzzReport report)
    {
        output.WriteLine(report.ToString());
        Fuzzer.AssertClean(report);
    }

    [Fact]
    public void ImagesDecodeOrGetANamedError()
    {
        var images = Path.Combine(Fixtures.Directory, "images");
        var seeds = Directory.GetFiles(images).Where(f => ImageDecoder.FileExtensions.Contains(Path.GetExtension(f)))
            .OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).Where(b => b.Length < 64 * 1024).Take(60).ToList();
        // A pixel budget of 2²⁰: decoding stays small however large a mutated header claims the image is.
        Check(new Fuzzer(2).Run("PNG/JPEG/WebP/GIF/BMP/PNM", seeds, bytes => ImageDecoder.Decode(bytes, "upload.img", ColorMode.Auto, maxPixels: 1 << 20),
            e => e is ImageFormatException && e.Message.Contains("upload.img")));
    }

    [Fact]
    public void TokenizerFilesLoadAndEncodeOrGetANamedError()
    {
        var seeds = new List<byte[]>();
        foreach (var (name, tokenizer) in new (string, Action<string>)[]
        {
            ("char.json", p => CharTokenizer.Train(["春眠不觉晓，处处闻啼鸟。", "hello"]).Save(p)),
            ("bpe.json", p => ByteLevelBpe.Train(["the cat sat on the mat", "the hat", "a fat cat"], 270, 1).Save(p)),
            ("wordpiece.json", p => Sapling.Data.Text.Tokenization.WordPieceTrainer.Train(["the cat sat on the mat", "the hat", "a fat cat"], new() { VocabSize = 40 }).Save(p)),
            ("unigram.json", p => Sapling.Data.Text.Tokenization.UnigramTrainer.Train(["the cat sat on the mat", "the hat", "a fat cat"], new() { VocabSize = 30, ByteFallback = false }).Save(p)),
            ("pipeline.json", p => File.WriteAllText(p, """
                {"version":"1.0","added_tokens":[{"id":9,"content":"<x>","single_word":true,"lstrip":true,"rstrip":false,"normalized":true,"special":false}],
                 "normalizer":{"type":"Sequence","normalizers":[{"type":"NFKD"},{"type":"StripAccents"},{"type":"Replace","pattern":{"Regex":"\\s+"},"content":" "},{"type":"Prepend","prepend":"▁"}]},
                 "pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\p{N}{1,3}+|[a-z]++"},"behavior":"MergedWithNext","invert":true},{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":true}]},
                 "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"special_tokens":{"<s>":{"id":"<s>","ids":[1],"tokens":["<s>"]}}},
                 "decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]},
                 "model":{"type":"BPE","unk_token":"<unk>","fuse_unk":true,"byte_fallback":true,"vocab":{"<unk>":0,"<s>":1,"▁":2,"a":3,"t":4,"at":5,"▁at":6,"<0x41>":7,"c":8},"merges":["a t","▁ at"]}}
                """)),
        })
        {
            var seedPath = Path.Combine(dir, name);
            tokenizer(seedPath);
            seeds.Add(File.ReadAllBytes(seedPath));
        }
        var path = Path.Combine(dir, "tokenizer.json");
        Check(new Fuzzer(3).Run("tokenizer.json", seeds, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            var t = Tokenizers.Load(path);
            var ids = t.Encode("the cat 春眠 <|endoftext|> x");
            t.Decode(ids, skipSpecial: false);
        }, e => e is InvalidDataException && e.Message.Contains(path)));
    }

    /// <summary>SentencePiece model files (protobuf): the small BPE and Marian fixtures, mutated, load and encode or
    /// are refused naming the file; NotSupportedException names settings the layout refuses (also naming the file).</summary>
    [Fact]
    public void SentencePieceModelsLoadAndEncodeOrGetANamedError()
    {
        var spm = Path.Combine(Fixtures.Directory, "sentencepiece");
        var seeds = new List<byte[]> { File.ReadAllBytes(Path.Combine(spm, "bpe.model")), File.ReadAllBytes(Path.Combine(spm, "marian", "source.spm")) };
        var path = Path.Combine(dir, "spiece.model");
        Check(new Fuzzer(5).Run("SentencePiece .model", seeds, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            var t = Tokenizers.Load(path);
            var ids = t.Encode("the cat 春眠 </s> x  y");
            t.Decode(ids, skipSpecial: false);
        }, e => e is InvalidDataException or NotSupportedException && e.Message.Contains(path)));
    }

    [Fact]
    public void CsvTablesReadOrGetANamedError()
    {
        var seeds = new List<byte[]>
        {
            Encoding.UTF8.GetBytes("a,b,label\n1,2,cat\n3.5,-4,dog\n0,1e3,cat\n"),
            Encoding.UTF8.GetBytes("1,2,0\n3,4,1\n5,6,0\n"),
            Encoding.UTF8.GetBytes("\"x\",\"y\"\n\"1\",\"2\"\n"),
        };
        var path = Path.Combine(dir, "rows.csv");
        Check(new Fuzzer(4).Run("CSV", seeds, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            CsvTable.Read(path);
        }, e => e is InvalidDataException && e.Message.Contains(path)));
    }

    [Fact]
    public void JsonlFilesReadOrGetANamedError()
    {
        var seeds = new List<byte[]>
        {
            Encoding.UTF8.GetBytes("{\"text\": \"hello\", \"label\": \"ham\"}\n{\"text\": \"buy now\", \"label\": \"spam\"}\n"),
            Encoding.UTF8.GetBytes("{\"text\": \"春眠不觉晓\", \"label\": 1}\n\n{\"text\": \"x\\u00e9\", \"label\": 0}\n"),
        };
        var path = Path.Combine(dir, "rows.jsonl");
        Check(new Fuzzer(5).Run("JSONL", seeds, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            JsonlReader.Read(path, row => JsonlReader.RequiredString(row, "text"));
        }, e => e is InvalidDataException && e.Message.Contains(path)));
    }

    [Fact]
    public void ChatTemplatesRenderOrGetANamedError()
    {
        var templates = Path.Combine(RepositoryPaths.Root!, "src", "Sapling.Data", "Text", "ChatTemplates");
        var seeds = Directory.GetFiles(templates, "*.jinja").OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        // A conversation every built-in template accepts (Gemma has no system role; Mistral wants turns to alternate).
        ChatMessage[] conversation = [new("user", "hi"), new("assistant", "hello"), new("user", "and?")];
        Check(new Fuzzer(6).Run("chat templates", seeds, bytes =>
        {
            var template = new ChatTemplate(Encoding.UTF8.GetString(bytes), "<s>", "</s>");
            template.Render(conversation, addGenerationPrompt: true);
        }, e => e is JinjaSyntaxException or JinjaRenderException));
    }
}
