using System.CommandLine;
using Sentio.Runs;

namespace Sentio.Cli;

/// <summary><c>sentio export</c>: a trained transformer as a Hugging Face folder or an ONNX model folder.</summary>
public static class ExportCommands
{
    public static Command Export(Option<string> modelPath, TextWriter output)
    {
        var target = new Option<string>("--output")
        {
            Description = "The folder to write; for onnx it must be new or empty, and its name is the Triton model name",
            Required = true,
        };
        var format = new Option<string>("--format")
        {
            Description = "huggingface: config.json with id2label, model.safetensors, tokenizer files (fine_tune models). " +
                "onnx: model.json, 1/model.onnx (opset 17; int64 input_ids, attention_mask[, token_type_ids] [batch, sequence] → " +
                "float32 logits, probabilities [batch, labels]), Triton config.pbtxt, labels.txt, thresholds.json (from a run), tokenizer files and config.json (either mode)",
            DefaultValueFactory = _ => "huggingface",
        };
        format.AcceptOnlyFromAmong("huggingface", "onnx");
        var quantize = new Option<string?>("--quantize")
        {
            Description = "With --format onnx: int8 writes per-channel int8 MatMul weights and word embeddings, activations quantized at run time " +
                "(ONNX Runtime's dynamic quantization; the file is about a quarter of fp32's)",
        };
        quantize.AcceptOnlyFromAmong("int8");
        var command = new Command("export", "Export a trained transformer model (a run, a Sentio model folder or a Hugging Face " +
            "sequence-classification folder) as a Hugging Face folder that 'sentio predict --model-path' and transformers' " +
            "AutoModelForSequenceClassification load, or as an ONNX folder for ONNX Runtime, Triton and SynapseML.")
        {
            modelPath, target, format, quantize,
        };
        command.SetAction(parse =>
        {
            string folder = parse.GetValue(target)!;
            ModelExport.Export(parse.GetValue(modelPath)!, folder, parse.GetValue(format) == "onnx" ? ExportFormat.Onnx : ExportFormat.HuggingFace,
                quantizeInt8: parse.GetValue(quantize) == "int8");
            output.WriteLine($"Wrote {folder}");
            return 0;
        });
        return command;
    }
}
