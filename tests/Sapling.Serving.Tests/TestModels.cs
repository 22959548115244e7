using Sapling.Models.Classifiers;
using Sapling.Models.Gpt;
using Sapling.Data.Text;

namespace Sapling.Serving.Tests;

/// <summary>Small randomly initialised model folders of every kind the server serves, written once per fixture.</summary>
public sealed class TestModels : IDisposable
{
    public const string Text = "the quick brown fox jumps over the lazy dog. a poem, a song: la la la!";

    public TestModels()
    {
        Root = Directory.CreateTempSubdirectory("sapling-serve-").FullName;
        var tokenizer = ChatTemplate.WithMarkers(CharTokenizer.Train([Text]));
        Poet = Path.Combine(Root, "poet");
        GptFolder.Save(Poet, new GptModel(new GptConfig { VocabSize = tokenizer.VocabSize, NPositions = 96, NEmbd = 16, NLayer = 2, NHead = 2 }, new Generator(7)));
        tokenizer.Save(Path.Combine(Poet, "tokenizer.json"));
        ChatTemplate.ChatMl.Save(Poet);

        Plain = Path.Combine(Root, "plain");
        var plainTokenizer = CharTokenizer.Train([Text]);
        GptFolder.Save(Plain, new GptModel(new GptConfig { VocabSize = plainTokenizer.VocabSize, NPositions = 32, NEmbd = 16, NLayer = 1, NHead = 2 }, new Generator(8)));
        plainTokenizer.Save(Path.Combine(Plain, "tokenizer.json"));

        Digits = Path.Combine(Root, "digits");
        ClassifierFolder.Save(Digits, ClassifierFolder.Create(new ClassifierConfig { ModelType = "cnn", InputShape = [1, 8, 8], Channels = [4], HiddenSize = 8, NumClasses = 3, InputScale = 16 }, new Generator(1)));

        Rows = Path.Combine(Root, "rows");
        ClassifierFolder.Save(Rows, ClassifierFolder.Create(new ClassifierConfig { ModelType = "mlp", InputShape = [4], HiddenSizes = [8], NumClasses = 2 }, new Generator(2)));

        Spam = Path.Combine(Root, "spam");
        var spamTokenizer = CharTokenizer.Train(["spam ham buy now hello"]);
        var spam = new GptModel(new GptConfig { VocabSize = spamTokenizer.VocabSize, NPositions = 16, NEmbd = 8, NLayer = 1, NHead = 2 }, new Generator(3));
        spam.AddClassificationHead(["ham", "spam"], spamTokenizer.EndOfTextId);
        GptFolder.Save(Spam, spam);
        spamTokenizer.Save(Path.Combine(Spam, "tokenizer.json"));
    }

    public string Root { get; }
    public string Poet { get; }
    public string Plain { get; }
    public string Digits { get; }
    public string Rows { get; }
    public string Spam { get; }

    public IReadOnlyList<ModelSource> All => [new(Poet), new(Plain), new(Digits), new(Rows), new(Spam)];

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
