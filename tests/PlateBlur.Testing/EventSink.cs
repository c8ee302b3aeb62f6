using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using PlateBlur.Orchestration;

namespace PlateBlur.Testing;

/// <summary>A loopback HTTP listener standing in for the Event Grid topic: it records every CloudEvent posted to it. It can be told to
/// refuse requests (503) — the next <see cref="FailNext"/> ones, or all while <see cref="Down"/> — to play an unreachable endpoint.</summary>
public sealed class EventSink : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private int _failNext, _requests, _refused;
    public ConcurrentQueue<JsonElement> Events { get; } = new();

    public EventSink()
    {
        int port = PipelineServices.FreeLoopbackPort();
        Endpoint = $"http://127.0.0.1:{port}/api/events";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); } catch { break; }
                Interlocked.Increment(ref _requests);
                try
                {
                    if (Down || Interlocked.Decrement(ref _failNext) >= 0)
                    {
                        Interlocked.Increment(ref _refused);
                        ctx.Response.StatusCode = 503;
                        continue;
                    }
                    using var doc = await JsonDocument.ParseAsync(ctx.Request.InputStream);
                    foreach (var e in doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray().ToList() : [doc.RootElement])
                        Events.Enqueue(e.Clone());
                    ctx.Response.StatusCode = 200;
                }
                catch (Exception) { ctx.Response.StatusCode = 400; }
                finally { try { ctx.Response.Close(); } catch { } }
            }
        });
    }

    public string Endpoint { get; }

    /// <summary>Refuse every request while true.</summary>
    public volatile bool Down;

    /// <summary>Refuse the next <paramref name="count"/> requests.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    public int Requests => Volatile.Read(ref _requests);
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>The CloudEvent id of a received event.</summary>
    public static string Id(JsonElement e) => e.GetProperty("id").GetString()!;

    public List<JsonElement> For(string subject) => Events.Where(e => e.GetProperty("subject").GetString() == subject).ToList();


    public void Dispose()
    {
        _listener.Stop();
        try { _loop.Wait(2000); } catch { }
        _listener.Close();
    }
}
