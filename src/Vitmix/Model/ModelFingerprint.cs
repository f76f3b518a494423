using System.Security.Cryptography;
using System.Text.Json;

namespace Vitmix.Model;

/// <summary>
/// What identifies a model's numbers: the SHA-256 of its weights file, its architecture and its preprocessing. Two
/// runs with the same fingerprint compute the same maps; the weights file's path is not part of it, so one checkpoint
/// mounted at different places on different nodes is still one model, and a file replaced in place is not.
/// </summary>
public static class ModelFingerprint
{
    /// <summary>64 lower-case hex digits: SHA-256 over the weights file's bytes, then the architecture and the preprocessing as JSON.</summary>
    public static string Compute(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var weights = new FileStream(model.WeightsPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
        {
            var buffer = new byte[1 << 20];
            for (int n; (n = weights.Read(buffer)) > 0;) sha.AppendData(buffer, 0, n);
        }
        sha.AppendData(JsonSerializer.SerializeToUtf8Bytes(model.Config));
        sha.AppendData(JsonSerializer.SerializeToUtf8Bytes(model.Preprocessing));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
