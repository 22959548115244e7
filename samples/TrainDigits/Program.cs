// Trains the small CNN on the embedded 8×8 digits through the library API and prints the held-out accuracy.
using Sapling.Models.Classifiers;
using Sapling.Training.Classification;

var data = new DataOptions { InputScale = 16, ExampleShape = [1, 8, 8] };   // no Path: the digits shipped with Sapling.Training
var model = new ClassifierConfig { ModelType = "cnn", Channels = [8, 16], HiddenSize = 32 };
var options = new TrainingOptions { Epochs = 10, BatchSize = 64, Optimizer = OptimizerType.AdamW, LearningRate = 3e-3, Schedule = LrScheduleType.Cosine };
var result = new ClassificationTrainer(model, data, options).Run(Path.Combine(Path.GetTempPath(), "sapling-sample-digits"));
Console.WriteLine($"test accuracy {result.Test.Accuracy:P2} on {result.Test.Support} held-out digits");
