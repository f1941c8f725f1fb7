using Sentio.Configuration;
using Sentio.Evaluation;
using Sentio.Models;
using Sentio.Catalog;
using Sentio.Runs;

namespace Sentio.Tests.Runs;

public class TrainConfigTests
{
    public static TheoryData<string> ExampleConfigs() =>
        new(Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "configs"), "*.yaml").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(ExampleConfigs))]
    public void Every_example_config_is_valid(string name)
    {
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", name));
        Assert.True(ModelCatalog.TryGet(config.Model.Architecture, out _));
    }

    [Fact]
    public void Binds_model_options_by_snake_case_key()
    {
        var config = TrainConfig.Parse("""
            seed: 7
            data: { dataset: goemotions/ekman }
            model:
              architecture: sentio.NGramLinear.v1
              c: 2.5
              class_weight: balanced
              char_ngrams: null
              word_ngrams: { max_n: 3, min_document_frequency: 1 }
            thresholds: { strategy: global, objective: micro_f1 }
            """, "test.yaml");

        Assert.Equal(7, config.Seed);
        Assert.Equal("goemotions/ekman", config.Data.Dataset);
        var options = Assert.IsType<NGramLinearOptions>(config.Model.Options);
        Assert.Equal(2.5, options.C);
        Assert.Equal(ClassWeighting.Balanced, options.ClassWeight);
        Assert.Null(options.CharNgrams);
        Assert.Equal(3, options.WordNgrams!.MaxN);
        Assert.Equal(1, options.WordNgrams.MinN); // unspecified keys keep their defaults
        Assert.Equal(ThresholdStrategy.Global, config.Thresholds.Strategy);
        Assert.Equal(ThresholdObjective.MicroF1, config.Thresholds.Objective);
    }

    [Fact]
    public void Reports_every_problem_at_once_with_its_key_path()
    {
        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse("""
            seed: abc
            data: { dataset: goemotions/original, validation_fraction: 2 }
            model: { architecture: sentio.NGramLinear.v1, c: -1, learning_rat: 3 }
            thresholds: { strategy: sometimes }
            """, "bad.yaml"));

        Assert.StartsWith("bad.yaml: invalid config (5 problems): ", error.Message);
        Assert.Contains("seed: expected an integer, got \"abc\"", error.Message);
        Assert.Contains("data.validation_fraction:", error.Message);
        Assert.Contains("model.c: expected a number > 0, got -1", error.Message);
        Assert.Contains("model.learning_rat: unknown key; allowed keys: word_ngrams, char_ngrams, c,", error.Message);
        Assert.Contains("thresholds.strategy: expected one of global, per_label, got \"sometimes\"", error.Message);
    }

    [Fact]
    public void A_nested_record_problem_is_reported_once_though_parent_and_child_both_check_it()
    {
        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse(
            "data: { dataset: goemotions/original }\nmodel: { architecture: sentio.BiLstmClassifier.v1, training: { epochs: 0 } }", "x.yaml"));
        Assert.StartsWith("x.yaml: invalid config (1 problem): model.training.epochs:", error.Message);
    }

    [Fact]
    public void A_key_that_is_not_a_plain_name_is_an_error_with_its_line()
    {
        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse("data: { dataset: goemotions/original }\n? [a]\n: 1\n", "x.yaml"));
        Assert.Contains("line 2: keys must be plain names", error.Message);
    }

    [Fact]
    public void Unknown_architecture_lists_the_known_ones()
    {
        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse("data: { dataset: goemotions/original }\nmodel: { architecture: sentio.Bogus.v1 }", "x.yaml"));
        Assert.Contains("model.architecture: unknown architecture 'sentio.Bogus.v1'; one of: ", error.Message);
        Assert.Contains(NGramLinear.ArchitectureName, error.Message);
    }

    [Fact]
    public void Invalid_yaml_names_the_file_and_line()
    {
        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse("seed: 1\ndata:\n  dataset: [unclosed\n", "broken.yaml"));
        Assert.Matches(@"^broken\.yaml:\d+: invalid YAML", error.Message);
    }

    [Fact]
    public void Written_config_reads_back_to_the_same_config()
    {
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "goemotions-linear.yaml"));
        string yaml = config.ToYaml();
        var reread = TrainConfig.Parse(yaml, "written.yaml");
        Assert.Equal(yaml, reread.ToYaml());
        Assert.Equal(config.Model.Options, reread.Model.Options);
        Assert.Equal(config.Data, reread.Data);
    }

    [Fact]
    public void Missing_data_section_is_an_error()
    {
        var error = Assert.Throws<SentioException>(() => TrainConfig.Parse("seed: 1", "empty.yaml"));
        Assert.Contains("data: missing", error.Message);
    }

    [Fact]
    public void A_partly_given_nested_section_keeps_the_parents_defaults_for_the_rest()
    {
        var config = TrainConfig.Parse("""
            data: { dataset: goemotions/original }
            model:
              architecture: sentio.BiLstmClassifier.v1
              training: { epochs: 3 }
            """, "bilstm.yaml");

        var options = Assert.IsType<BiLstmOptions>(config.Model.Options);
        Assert.Equal(3, options.Training.Epochs);
        // BiLstmOptions' own training default (4e-3), not NeuralTrainingOptions' (2e-3)
        Assert.Equal(new BiLstmOptions().Training.LearningRate, options.Training.LearningRate);
        Assert.NotEqual(new Sentio.Training.NeuralTrainingOptions().LearningRate, options.Training.LearningRate);
    }
}
