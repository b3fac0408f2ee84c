using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MarketingDsl.Runtime.Tests;

/// <summary>A webhook receiver on a loopback Kestrel port; <see cref="Respond"/> decides each answer (status code),
/// after any delay it likes.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Request(string? Key, int Attempt, string Body);

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>The answer to a request (its 1-based number among the requests with its key).</summary>
    public Func<Request, int, CancellationToken, Task<int>> Respond { get; set; } = (_, _, _) => Task.FromResult(200);

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Url => new(_app.Urls.First() + "/hook");

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--urls", "http://127.0.0.1:0"] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            var attempt = int.TryParse(http.Request.Headers["X-Mdsl-Attempt"].ToString(), out var a) ? a : 0;
            var request = new Request(key.Length == 0 ? null : key, attempt, body);
            receiver.Requests.Enqueue(request);
            var nth = receiver.Requests.Count(r => r.Key == request.Key);
            try { http.Response.StatusCode = await receiver.Respond(request, nth, http.RequestAborted); }
            catch (OperationCanceledException) { }
        });
        await app.StartAsync();
        return receiver;
    }

    public List<Request> Of(string key) => [.. Requests.Where(r => r.Key == key)];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
