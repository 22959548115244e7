namespace Sapling.Cli.Tests;

/// <summary>
/// Runs the <c>sapling</c> command line in-process and captures what it prints. Console output is process-wide, so
/// every test class that uses it joins the "cli" collection and runs alone.
/// </summary>
public static class CliRunner
{
    private static readonly object Gate = new();

    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldError) = (Console.Out, Console.Error);
            using var output = new StringWriter();
            using var error = new StringWriter();
            Console.SetOut(output);
            Console.SetError(error);
            try
            {
                int code = Program.Main(args);
                return (code, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldError);
            }
        }
    }
}

[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;
