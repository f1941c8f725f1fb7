using Sentio.Cli;

namespace Sentio.Tests.Cli;

/// <summary>Runs the <c>sentio</c> command in-process, capturing what it prints.</summary>
internal static class CliRunner
{
    public static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = SentioCommandLine.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
