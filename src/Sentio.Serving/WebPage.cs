namespace Sentio.Serving;

/// <summary>The page served at <c>/</c>: one self-contained HTML file (inline CSS and script, no CDN), embedded in the assembly.</summary>
internal static class WebPage
{
    public static readonly string Html = Load();

    private static string Load()
    {
        using var stream = typeof(WebPage).Assembly.GetManifestResourceStream("Sentio.Serving.index.html")
            ?? throw new InvalidOperationException("the embedded web page Sentio.Serving.index.html is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
