using Sentio.Data;
using Sentio.Evaluation;
using Sentio.Runs;
using Sentio.Training;

namespace Sentio.Tests.Runs;

/// <summary><c>data.split_seed</c> fixes cv's folds (and the carved splits) while <c>seed</c> varies the model.</summary>
public class SplitSeedTests
{
    [Fact]
    public void Split_seed_fixes_the_folds_whatever_the_model_seed()
    {
        string folder = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(folder, "model5.yaml"), SemEvalLinearConfig.Yaml());
        File.WriteAllText(Path.Combine(folder, "model5-split13.yaml"), SemEvalLinearConfig.Yaml()
            .Replace("dataset: semeval2025-track-a", "dataset: semeval2025-track-a\n  split_seed: 13"));
        var seed5 = TrainConfig.Load(Path.Combine(folder, "model5.yaml"));
        var seed5Split13 = TrainConfig.Load(Path.Combine(folder, "model5-split13.yaml"));
        Assert.Equal((5, 13), (seed5Split13.Seed, seed5Split13.SplitSeed));
        Assert.Equal(5, seed5.SplitSeed);

        // the per-fold held-out F1 in cv.json is recomputable from oof.csv only with seed 13's folds
        var result = CrossValidation.Execute(seed5Split13, 3, folder, Path.Combine(folder, "runs"), TestPaths.SharedData, SilentMonitor.Instance);
        Assert.Equal(5, result.Summary.Seed);
        Assert.Equal((5, 13), (TrainConfig.Load(result.Run.Config).Seed, TrainConfig.Load(result.Run.Config).SplitSeed));
        var outOfFold = SplitPredictions.Load(Path.Combine(result.Run.Path, "predictions", "oof.csv"));
        var train = DatasetLoader.Load(seed5.Data, folder, 13, TestPaths.SharedData).Train;
        Assert.Equal(train.Examples.Select(e => e.Id!), outOfFold.Ids);
        double HeldOutMacroF1(int splitSeed, int fold)
        {
            var heldOut = IterativeStratification.KFoldIndices(train, 3, splitSeed)[fold].Test;
            var rows = outOfFold.Rows(heldOut);
            return MultiLabelMetrics.F1(rows.Truth, result.Thresholds.Apply(rows.Probabilities), Average.Macro);
        }
        for (int fold = 0; fold < 3; fold++)
            Assert.Equal(result.Summary.PerFold[fold].HeldOutMacroF1, HeldOutMacroF1(13, fold), 12);
        Assert.NotEqual(result.Summary.PerFold[0].HeldOutMacroF1, HeldOutMacroF1(5, 0), 6);
    }
}
