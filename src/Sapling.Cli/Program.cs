using System.CommandLine;
using Sapling.Backends.Cpu;
using Sapling.Cli.Commands;

namespace Sapling.Cli;

/// <summary>The <c>sapling</c> command-line tool's entry point: the root command and its verbs.</summary>
public static class Program
{
    /// <summary>--blas applies to every verb; SAPLING_BLAS gives its default so scripts can set it once.</summary>
    public static readonly Option<string> BlasOption = new("--blas")
    {
        Description = "Matrix-multiply provider: managed, openblas or auto (OpenBLAS where installed, except on AVX-512 machines, where the managed kernel is faster; default: $SAPLING_BLAS or auto)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SAPLING_BLAS") ?? "auto",
    };

    /// <summary>
    /// Parses <paramref name="args"/>, sets the BLAS provider and runs the chosen verb; returns its exit code. Bad
    /// input (a missing file, an invalid option or config) is printed as one line and returns 2; a diverged run returns
    /// 3.
    /// </summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("Sapling: train, evaluate and deploy neural networks in .NET");
        root.Options.Add(BlasOption);
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(FinetuneCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(ChatCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(TokenizerCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(EmbedCommand.Create());
        root.Subcommands.Add(TagCommand.Create());
        root.Subcommands.Add(TranslateCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ReviewCommand.Create());
        root.Subcommands.Add(FederatedCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(PruneCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(LabelCommand.Create());
        var parsed = root.Parse(args);
        if (parsed.Errors.Count == 0)
        {
            try
            {
                Gemm.Provider = Gemm.Parse(parsed.GetValue(BlasOption)!);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Training.Guards.TrainingDivergedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Diverged;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or UnauthorizedAccessException
            or NotSupportedException or Data.Text.Jinja.JinjaRenderException or Data.Text.Jinja.JinjaSyntaxException)
        {
            // Bad input is the user's to fix (a chat template Sapling cannot render, or one that rejects the conversation
            // included): say what and where, without a stack trace.
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
