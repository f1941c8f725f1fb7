namespace Sentio;

/// <summary>A problem with the user's input (a file, a config key, an argument) that Sentio reports as one
/// line and a non-zero exit, never as a stack trace. The message already names where the problem is.</summary>
public class SentioException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>"file:line: message", the form every input error takes; line breaks inside quoted values are written
    /// as \n and \r so that the error stays one line.</summary>
    public static SentioException At(string file, int line, string message) =>
        new($"{file}:{line}: {message.Replace("\r", "\\r").Replace("\n", "\\n")}");
}
