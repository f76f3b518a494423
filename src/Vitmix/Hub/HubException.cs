namespace Vitmix.Hub;

/// <summary>
/// A model could not be fetched from the Hugging Face Hub or found in its cache. The message names the repository, the
/// file, the URL or cache path, and what to do about it.
/// </summary>
public sealed class HubException : IOException
{
    /// <summary>The HTTP status that caused it, when there was one.</summary>
    public int? StatusCode { get; }

    /// <summary>An error with its full <paramref name="message"/>, the HTTP <paramref name="statusCode"/> if any, and the exception that caused it.</summary>
    public HubException(string message, int? statusCode = null, Exception? inner = null) : base(message, inner) =>
        StatusCode = statusCode;
}
