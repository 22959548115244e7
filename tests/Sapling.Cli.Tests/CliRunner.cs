namespace Sapling.Cli.Tests;

/// <summary>
/// Runs the <c>sapling</c> command line in-process and captures what it prints. Console output is process-wide, so
/// every test class that uses it joins the "cli" collection and runs alone.
/// </summary>
public static class CliRunner
{
    private static readonly object Gate = new();

    public static (int ExitCode, string Output, string Error) Run(params string[] args) => RunWithInput("", args);

    /// <summary>Runs with <paramref name="input"/> as standard input (for the interactive verbs).</summary>
    public static (int ExitCode, string Output, string Error) RunWithInput(string input, params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldError, oldIn) = (Console.Out, Console.Error, Console.In);
            using var output = new StringWriter();
            using var error = new StringWriter();
            Console.SetOut(output);
            Console.SetError(error);
            Console.SetIn(new StringReader(input));
            try
            {
                int code = Program.Main(args);
                return (code, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldError);
                Console.SetIn(oldIn);
            }
        }
    }
}

[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;
