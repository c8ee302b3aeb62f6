using System.Collections.Concurrent;
using PlateBlur.Core;
using PlateBlur.Core.Anonymization;
using PlateBlur.Core.Models;

namespace PlateBlur.Orchestration.Activities;

/// <summary>Loaded anonymizers (plate model, vehicle model, scanner) for concurrent activities: a detector is not thread-safe, so each running activity borrows its own.</summary>
public sealed class AnonymizerPool(PlateBlurOptions options, ModelStore store) : IDisposable
{
    private readonly ConcurrentBag<Anonymizer> _idle = [];
    private readonly ConcurrentBag<Anonymizer> _all = [];

    public PlateBlurOptions Options => options;

    /// <summary>Name, file and sha256 of the model in use (loads it once if nothing has yet).</summary>
    public async Task<Core.Reports.ModelFacts> ModelFactsAsync(CancellationToken ct = default)
    {
        using var lease = await RentAsync(ct);
        return lease.Anonymizer.Model;
    }

    public async Task<Lease> RentAsync(CancellationToken ct = default)
    {
        if (!_idle.TryTake(out var a))
        {
            a = await Anonymizer.CreateAsync(options, store, null, ct);
            _all.Add(a);
        }
        return new Lease(this, a);
    }

    public sealed class Lease(AnonymizerPool pool, Anonymizer anonymizer) : IDisposable
    {
        public Anonymizer Anonymizer => anonymizer;
        public void Dispose() => pool._idle.Add(anonymizer);
    }

    public void Dispose()
    {
        foreach (var a in _all) a.Dispose();
    }
}
