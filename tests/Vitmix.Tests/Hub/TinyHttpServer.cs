using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Vitmix.Tests.Hub;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (ephemeral port) for hub tests: one connection at a time, every response
/// closes the connection, and a response can break off after a number of body bytes. It stops itself after
/// <c>maxRequests</c> requests or <c>lifetime</c>, whichever comes first, so a runaway client cannot hang a test.
/// </summary>
internal sealed class TinyHttpServer : IDisposable
{
    public sealed record Request(string Method, string Path, IReadOnlyDictionary<string, string> Headers)
    {
        public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
    }

    public sealed class Response
    {
        public int Status { get; init; } = 200;
        public Dictionary<string, string> Headers { get; init; } = [];
        public byte[] Body { get; init; } = [];
        /// <summary>Send only this many body bytes, then close the socket (a dropped connection).</summary>
        public int? DropAfter { get; init; }
    }

    readonly TcpListener listener;
    readonly Func<Request, Response> handler;
    readonly CancellationTokenSource stop;
    readonly Task loop;
    readonly int maxRequests;

    public ConcurrentQueue<Request> Requests { get; } = new();
    public Uri BaseUri { get; }

    public TinyHttpServer(Func<Request, Response> handler, int maxRequests = 60, TimeSpan? lifetime = null)
    {
        this.handler = handler;
        this.maxRequests = maxRequests;
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        stop = new CancellationTokenSource(lifetime ?? TimeSpan.FromSeconds(60));
        loop = Task.Run(AcceptLoop);
    }

    async Task AcceptLoop()
    {
        try
        {
            while (!stop.IsCancellationRequested && Requests.Count < maxRequests)
            {
                using TcpClient client = await listener.AcceptTcpClientAsync(stop.Token);
                try { await Serve(client); }
                catch (IOException) { }
                catch (SocketException) { }
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        finally { listener.Stop(); }
    }

    async Task Serve(TcpClient client)
    {
        client.ReceiveTimeout = client.SendTimeout = 5000;
        NetworkStream stream = client.GetStream();
        string head = await ReadHead(stream);
        if (head.Length == 0) return;
        string[] lines = head.Split("\r\n");
        string[] first = lines[0].Split(' ');
        var headers = new Dictionary<string, string>();
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }
        var request = new Request(first[0], first[1], headers);
        Requests.Enqueue(request);
        Response response = handler(request);

        var sb = new StringBuilder();
        sb.Append($"HTTP/1.1 {response.Status} {Reason(response.Status)}\r\n");
        foreach (var (k, v) in response.Headers) sb.Append($"{k}: {v}\r\n");
        if (!response.Headers.Keys.Any(k => k.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            sb.Append($"Content-Length: {response.Body.Length}\r\n");
        sb.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()));
        if (request.Method != "HEAD")
        {
            int n = Math.Min(response.DropAfter ?? response.Body.Length, response.Body.Length);
            await stream.WriteAsync(response.Body.AsMemory(0, n));
            if (response.DropAfter != null)
            {
                await stream.FlushAsync();
                client.Client.LingerState = new LingerOption(true, 0); // reset, like a connection that died
            }
        }
        await stream.FlushAsync();
    }

    static async Task<string> ReadHead(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 16384)
        {
            if (await stream.ReadAsync(one) == 0) break;
            bytes.Add(one[0]);
            int c = bytes.Count;
            if (c >= 4 && bytes[c - 4] == '\r' && bytes[c - 3] == '\n' && bytes[c - 2] == '\r' && bytes[c - 1] == '\n')
                return Encoding.ASCII.GetString(bytes.ToArray(), 0, c - 4);
        }
        return "";
    }

    static string Reason(int status) => status switch
    {
        200 => "OK", 206 => "Partial Content", 302 => "Found", 307 => "Temporary Redirect",
        401 => "Unauthorized", 403 => "Forbidden", 404 => "Not Found", 416 => "Range Not Satisfiable",
        _ => "Status",
    };

    bool disposed;

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        stop.Cancel();
        listener.Stop();
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        stop.Dispose();
    }
}
