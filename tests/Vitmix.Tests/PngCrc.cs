namespace Vitmix.Tests;

/// <summary>CRC-32 as PNG chunks use it (ISO 3309, reflected polynomial 0xEDB88320), for fixtures that rewrite chunks.</summary>
internal static class PngCrc
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte x in data)
        {
            crc ^= x;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
