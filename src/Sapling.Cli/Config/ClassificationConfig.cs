using Sapling.Models.Classifiers;
using Sapling.Data.Vision;
using Sapling.Training.Classification;

namespace Sapling.Cli.Config;

/// <summary>Reads the data:, model:, train: and augment: sections of a classification config into typed options.</summary>
public static class ClassificationConfig
{
    /// <summary>
    /// Binds the config's sections; a key it leaves out takes the option record's default. Refuses keys no reader asked
    /// for (a misspelt key).
    /// </summary>
    public static (DataOptions Data, ClassifierConfig Model, TrainingOptions Train) Bind(ConfigTree c)
    {
        // A key the config leaves out takes the record's own default: each default is written once, in the record.
        var (dataDefaults, modelDefaults, trainDefaults, augmentDefaults) = (new DataOptions(), new ClassifierConfig(), new TrainingOptions(), new ImageAugment());
        var data = new DataOptions
        {
            Format = c.Get("data.format", dataDefaults.Format),
            Path = c.Get("data.path", dataDefaults.Path),
            LabelColumn = c.Get("data.label_column", dataDefaults.LabelColumn),
            TestFraction = c.Get("data.test_fraction", dataDefaults.TestFraction),
            ValidationFraction = c.Get("data.validation_fraction", dataDefaults.ValidationFraction),
            SplitSeed = c.Get("data.split_seed", dataDefaults.SplitSeed),
            InputScale = c.Get("data.input_scale", dataDefaults.InputScale),
            ExampleShape = c.Get("data.example_shape", dataDefaults.ExampleShape),
            ImageHeight = c.Get("data.image_height", dataDefaults.ImageHeight),
            ImageWidth = c.Get("data.image_width", dataDefaults.ImageWidth),
            ImageChannels = c.Get("data.image_channels", dataDefaults.ImageChannels),
            ResizeShorterSide = c.Get("data.resize_shorter_side", dataDefaults.ResizeShorterSide),
            Classes = c.Get("data.classes", dataDefaults.Classes),
            TrainSubset = c.Get("data.train_subset", dataDefaults.TrainSubset),
            TrainPerClass = c.Get("data.train_per_class", dataDefaults.TrainPerClass),
            Normalize = c.Get("data.normalize", dataDefaults.Normalize),
            OnUnreadableImage = c.Get("data.on_unreadable_image", dataDefaults.OnUnreadableImage == UnreadableImages.Fail ? "fail" : "skip") == "fail" ? UnreadableImages.Fail : UnreadableImages.Skip,
        };
        var model = new ClassifierConfig
        {
            ModelType = c.Get("model.type", modelDefaults.ModelType),
            HiddenSizes = c.Get("model.hidden_sizes", modelDefaults.HiddenSizes),
            Channels = c.Get("model.channels", modelDefaults.Channels),
            HiddenSize = c.Get("model.hidden_size", modelDefaults.HiddenSize),
            BlocksPerStage = c.Get("model.blocks_per_stage", modelDefaults.BlocksPerStage),
            KernelSize = c.Get("model.kernel_size", modelDefaults.KernelSize),
            BatchNorm = c.Get("model.batch_norm", modelDefaults.BatchNorm),
            Block = c.Get("model.block", modelDefaults.Block),
            Layers = c.Get("model.layers", modelDefaults.Layers),
            Dropout = c.Get("model.dropout", modelDefaults.Dropout),
        };
        var train = new TrainingOptions
        {
            Epochs = c.Get("train.epochs", trainDefaults.Epochs),
            BatchSize = c.Get("train.batch_size", trainDefaults.BatchSize),
            Optimizer = c.Get("train.optimizer", trainDefaults.Optimizer),
            LearningRate = c.Get("train.lr", trainDefaults.LearningRate),
            Momentum = c.Get("train.momentum", trainDefaults.Momentum),
            Nesterov = c.Get("train.nesterov", trainDefaults.Nesterov),
            WeightDecay = c.Get("train.weight_decay", trainDefaults.WeightDecay),
            L1 = c.Get("train.l1", trainDefaults.L1),
            LabelSmoothing = c.Get("train.label_smoothing", trainDefaults.LabelSmoothing),
            Schedule = c.Get("train.schedule", trainDefaults.Schedule),
            WarmupSteps = c.Get("train.warmup_steps", trainDefaults.WarmupSteps),
            MinLearningRateRatio = c.Get("train.min_lr_ratio", trainDefaults.MinLearningRateRatio),
            StepSize = c.Get("train.step_size", trainDefaults.StepSize),
            Gamma = c.Get("train.gamma", trainDefaults.Gamma),
            PlateauPatience = c.Get("train.plateau_patience", trainDefaults.PlateauPatience),
            GradClip = c.Get("train.grad_clip", trainDefaults.GradClip),
            AccumulationSteps = c.Get("train.accumulation_steps", trainDefaults.AccumulationSteps),
            Monitor = c.Get("train.monitor", trainDefaults.Monitor),
            Patience = c.Get("train.patience", trainDefaults.Patience),
            Seed = c.Get("train.seed", trainDefaults.Seed),
            InitFrom = c.Get("train.init_from", trainDefaults.InitFrom),
            FreezeBackbone = c.Get("train.freeze_backbone", trainDefaults.FreezeBackbone),
            BackboneLearningRateScale = c.Get("train.backbone_lr_scale", trainDefaults.BackboneLearningRateScale),
            FreezeBackboneEpochs = c.Get("train.freeze_backbone_epochs", trainDefaults.FreezeBackboneEpochs),
            Augment = new ImageAugment
            {
                RotationDegrees = c.Get("augment.rotation", augmentDefaults.RotationDegrees),
                Scale = c.Get("augment.scale", augmentDefaults.Scale),
                Translate = c.Get("augment.translate", augmentDefaults.Translate),
                HorizontalFlip = c.Get("augment.horizontal_flip", augmentDefaults.HorizontalFlip),
                CropPadding = c.Get("augment.crop_padding", augmentDefaults.CropPadding),
                Noise = c.Get("augment.noise", augmentDefaults.Noise),
            },
        };
        c.Get("task", "classification");
        c.RejectUnknownKeys();
        using (OptionNames.Use(c.OptionName)) train.Validate();
        return (data, model, train);
    }
}
