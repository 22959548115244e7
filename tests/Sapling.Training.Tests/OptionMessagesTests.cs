using Sapling.NN.Adapters;
using Sapling.Training.Classification;
using Sapling.Training.LanguageModel;

namespace Sapling.Training.Tests;

/// <summary>
/// The option records' messages name the option as a C# caller set it (the property), not a config key; a caller
/// that knows where an option came from (the CLI's config binder) installs its names (<see cref="OptionNames"/>).
/// </summary>
public class OptionMessagesTests
{
    [Fact]
    public void MessagesNameThePropertyByDefaultAndTheCallersNameWhenGiven()
    {
        var options = new TrainingOptions { LearningRate = -1 };
        var plain = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Equal("LearningRate must be positive, got -1", plain.Message);
        ArgumentException named;
        using (OptionNames.Use(option => option == "LearningRate" ? "train.lr" : option)) named = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.Equal("train.lr must be positive, got -1", named.Message);

        var nan = Assert.Throws<ArgumentException>(() => new TrainingOptions { Momentum = double.NaN }.Validate());
        Assert.Equal("Momentum must be a finite number, got NaN", nan.Message);
    }

    [Fact]
    public void NestedAndCombinedOptionsAreNamedByTheirPaths()
    {
        var lora = new LmOptions { Method = TrainingMethod.Lora, InitFrom = "base", Lora = new LoraConfig { Rank = 0 } };
        Assert.Equal("Lora.Rank must be positive, got 0", Assert.Throws<ArgumentException>(() => lora.Validate()).Message);
        var noBase = new LmOptions { Method = TrainingMethod.Sft };
        Assert.Equal("Method sft fine-tunes a model: give its folder (InitFrom)", Assert.Throws<ArgumentException>(() => noBase.Validate()).Message);
        var keys = new Dictionary<string, string> { ["Method"] = "method", ["InitFrom"] = "model.path" };
        using (OptionNames.Use(option => keys.GetValueOrDefault(option, option)))
            Assert.Equal("method sft fine-tunes a model: give its folder (model.path)", Assert.Throws<ArgumentException>(() => noBase.Validate()).Message);
    }
}
