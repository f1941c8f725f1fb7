using System.CommandLine;
using Sentio.Runs;

namespace Sentio.Cli;

/// <summary><c>sentio export</c>: a trained transformer as a Hugging Face folder.</summary>
public static class ExportCommands
{
    public static Command Export(Option<string> modelPath, TextWriter output)
    {
        var target = new Option<string>("--output") { Description = "The folder to write (config.json with id2label, model.safetensors, tokenizer files)", Required = true };
        var command = new Command("export", "Export a trained transformer model as a Hugging Face folder that 'sentio predict --model-path' and transformers' AutoModelForSequenceClassification load.")
        {
            modelPath, target,
        };
        command.SetAction(parse =>
        {
            string folder = parse.GetValue(target)!;
            ModelExport.ToHuggingFace(parse.GetValue(modelPath)!, folder);
            output.WriteLine($"Wrote {folder}");
            return 0;
        });
        return command;
    }
}
