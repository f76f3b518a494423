namespace Vitmix.Server;

/// <summary>A request the server refuses: its HTTP status and the one line the client sees as <c>{"error": "..."}</c>.</summary>
public sealed class ApiException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status code (4xx: the request's fault).</summary>
    public int Status { get; } = status;

    /// <summary>400: a value of the request is malformed or out of range.</summary>
    public static ApiException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);

    /// <summary>404: the request names something the server does not have.</summary>
    public static ApiException NotFound(string message) => new(StatusCodes.Status404NotFound, message);
}
