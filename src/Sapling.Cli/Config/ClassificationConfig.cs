using Sapling.Models.Classifiers;
using Sapling.Training;
using Sapling.Vision;

namespace Sapling.Cli.Config;

/// <summary>Reads the data:, model:, train: and augment: sections of a classification config into typed options.</summary>
public static class ClassificationConfig
{
    public static (DataOptions Data, ClassifierConfig Model, TrainingOptions Train) Bind(ConfigTree c)
    {
        var data = new DataOptions
        {
            Format = c.Get("data.format", "csv"),
            Path = c.Get<string?>("data.path", null),
            LabelColumn = c.Get("data.label_column", -1),
            TestFraction = c.Get("data.test_fraction", 0.2),
            ValidationFraction = c.Get("data.validation_fraction", 0.1),
            SplitSeed = c.Get("data.split_seed", 0UL),
            InputScale = c.Get("data.input_scale", 1f),
            ExampleShape = c.Get<int[]?>("data.example_shape", null),
            ImageHeight = c.Get("data.image_height", 32),
            ImageWidth = c.Get("data.image_width", 32),
            ImageChannels = c.Get("data.image_channels", 3),
            ResizeShorterSide = c.Get("data.resize_shorter_side", 0),
            Classes = c.Get<int[]?>("data.classes", null),
            TrainSubset = c.Get("data.train_subset", 1.0),
            TrainPerClass = c.Get<int?>("data.train_per_class", null),
            Normalize = c.Get("data.normalize", true),
            OnUnreadableImage = c.Get("data.on_unreadable_image", "skip") == "fail" ? UnreadableImages.Fail : UnreadableImages.Skip,
        };
        var model = new ClassifierConfig
        {
            ModelType = c.Get("model.type", "mlp"),
            HiddenSizes = c.Get("model.hidden_sizes", new[] { 128 }),
            Channels = c.Get("model.channels", new[] { 32, 64 }),
            HiddenSize = c.Get("model.hidden_size", 128),
            BlocksPerStage = c.Get("model.blocks_per_stage", 2),
            KernelSize = c.Get("model.kernel_size", 3),
            BatchNorm = c.Get("model.batch_norm", false),
            Block = c.Get<string?>("model.block", null),
            Layers = c.Get<int[]?>("model.layers", null),
            Dropout = c.Get("model.dropout", 0f),
        };
        var train = new TrainingOptions
        {
            Epochs = c.Get("train.epochs", 20),
            BatchSize = c.Get("train.batch_size", 64),
            Optimizer = c.Get("train.optimizer", "adamw"),
            LearningRate = c.Get("train.lr", 1e-3),
            Momentum = c.Get("train.momentum", 0.9),
            Nesterov = c.Get("train.nesterov", false),
            WeightDecay = c.Get("train.weight_decay", 0.0),
            L1 = c.Get("train.l1", 0f),
            LabelSmoothing = c.Get("train.label_smoothing", 0f),
            Schedule = c.Get("train.schedule", "none"),
            WarmupSteps = c.Get("train.warmup_steps", 0),
            MinLearningRateRatio = c.Get("train.min_lr_ratio", 0.0),
            StepSize = c.Get("train.step_size", 10),
            Gamma = c.Get("train.gamma", 0.1),
            PlateauPatience = c.Get("train.plateau_patience", 3),
            GradClip = c.Get<float?>("train.grad_clip", null),
            AccumulationSteps = c.Get("train.accumulation_steps", 1),
            Monitor = c.Get("train.monitor", "val_loss"),
            Patience = c.Get<int?>("train.patience", null),
            Seed = c.Get("train.seed", 0UL),
            InitFrom = c.Get<string?>("train.init_from", null),
            FreezeBackbone = c.Get("train.freeze_backbone", false),
            BackboneLearningRateScale = c.Get("train.backbone_lr_scale", 1.0),
            FreezeBackboneEpochs = c.Get("train.freeze_backbone_epochs", 0),
            Augment = new ImageAugment
            {
                RotationDegrees = c.Get("augment.rotation", 0f),
                Scale = c.Get("augment.scale", 0f),
                Translate = c.Get("augment.translate", 0f),
                HorizontalFlip = c.Get("augment.horizontal_flip", 0f),
                CropPadding = c.Get("augment.crop_padding", 0),
                Noise = c.Get("augment.noise", 0f),
            },
        };
        c.Get("task", "classification");
        c.RejectUnknownKeys();
        return (data, model, train);
    }
}
