using PlateBlur.Core;
using PlateBlur.Core.Anonymization;

namespace PlateBlur.Testing;

/// <summary>One anonymizer with the real default model, shared by the tests of a class (loading the model takes a moment).</summary>
public sealed class ModelFixture : IDisposable
{
    private readonly Lazy<Anonymizer> _anonymizer = new(() =>
        Anonymizer.CreateAsync(new PlateBlurOptions { Threads = 2 }, TestEnv.Models).GetAwaiter().GetResult());

    public Anonymizer Anonymizer => _anonymizer.Value;

    public void Dispose()
    {
        if (_anonymizer.IsValueCreated) _anonymizer.Value.Dispose();
    }
}
