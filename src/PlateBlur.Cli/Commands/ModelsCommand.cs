using System.CommandLine;
using PlateBlur.Core.Models;

namespace PlateBlur.Cli.Commands;

/// <summary>plateblur models list | fetch: the manifest and the verified local cache.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var list = new Command("list", "List the models of the manifest");
        list.SetAction(_ =>
        {
            var store = ModelStore.FromEnvironment();
            foreach (var m in store.Manifest.Models)
                Console.WriteLine($"{m.Name,-16} {m.Role,-8} {m.Layout,-11} input {m.InputSize,4}  {m.Licence,-11} {m.File}{(m.Name == store.Manifest.Default ? "  (default)" : "")}");
            return 0;
        });

        var names = new Argument<string[]>("names") { Description = "Models to fetch (default: all)", Arity = ArgumentArity.ZeroOrMore };
        var fetch = new Command("fetch", $"Download models into the cache (or copy from ${ModelStore.MirrorVariable}) and check their sha256") { names };
        fetch.SetAction(async (r, ct) =>
        {
            var store = ModelStore.FromEnvironment();
            var wanted = r.GetValue(names) is { Length: > 0 } n ? n.Select(store.Manifest.Find).ToList() : store.Manifest.Models.ToList();
            try
            {
                foreach (var spec in wanted)
                {
                    string path = await store.FetchAsync(spec, new Progress<string>(Console.Error.WriteLine), ct);
                    Console.WriteLine($"{spec.Name}: {path} (sha256 ok)");
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                Console.Error.WriteLine($"plateblur: {e.Message}");
                return 1;
            }
        });

        return new Command("models", "Model manifest and cache") { list, fetch };
    }
}
