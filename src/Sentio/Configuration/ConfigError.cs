namespace Sentio.Configuration;

/// <summary>One problem with a config value. <see cref="Key"/> is the dotted path from the section that
/// reported it (the binder prefixes the section's own path), e.g. <c>training.learning_rate</c>.</summary>
public sealed record ConfigError(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}

/// <summary>An options record whose values need checks beyond their types (ranges, combinations).
/// The YAML binder calls <see cref="Validate"/> after binding and prefixes each key with the section path.</summary>
public interface IValidatableOptions
{
    /// <summary>Every problem found, with keys in snake_case relative to this record.</summary>
    IEnumerable<ConfigError> Validate();
}
