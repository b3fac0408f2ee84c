using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace MarketingDsl.Runtime;

/// <summary>
/// The webhook channel adapter: POSTs the action's JSON (the same object the file adapter writes,
/// with its dedupe `key`) to the channel's URL, with headers `Idempotency-Key: KEY` and
/// `X-Mdsl-Attempt: N`. 2xx is delivered, and so is 409 (the receiver says it already has the key);
/// 408, 429, 5xx, a timeout or a connection error are retried by the outbox; any other 4xx means the
/// receiver refuses this body, which no retry can fix: the action is parked as failed at once.
/// Delivery is at least once: a crash after the receiver answered and before the outbox recorded
/// it repeats the request with the same key, so receivers de-duplicate by it.
/// </summary>
public sealed class WebhookChannelAdapter(Uri url, TimeSpan timeout, HttpMessageHandler? handler = null) : IChannelAdapter, IDisposable
{
    private readonly HttpClient _http = new(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,   // per request, below
    };

    public Uri Url { get; } = url;

    public async Task<DeliveryOutcome> DeliverAsync(OutboxEntry item, int attempt, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new StringContent(item.Line, Encoding.UTF8,
            "application/json") };
        request.Headers.Add("Idempotency-Key", item.Key);
        request.Headers.Add("X-Mdsl-Attempt", attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Conflict) return DeliveryOutcome.Delivered;
            var error = $"HTTP {code} from {Url}";
            return code is 408 or 429 or >= 500 ? DeliveryOutcome.Retry(error) : DeliveryOutcome.Refused(error);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return DeliveryOutcome.Retry($"timeout after {timeout.TotalSeconds:0.###} s from {Url}");
        }
        catch (HttpRequestException ex)
        {
            return DeliveryOutcome.Retry($"{ex.Message} ({Url})");
        }
    }

    public void Dispose() => _http.Dispose();
}
