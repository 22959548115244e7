using Sapling.Data;
using Sapling.Evaluation;
using Sapling.Models.Gpt;
using Sapling.Text;
using Sapling.Training.Plots;

namespace Sapling.Training;

/// <summary>A labelled text.</summary>
public sealed record LabelledText(string Text, string Label);
