using System.Buffers.Binary;
using System.Text;

namespace Vitmix.Tests.Hub;

/// <summary>Writes a one-tensor F32 safetensors file by hand: u64 LE header length, JSON header, raw data.</summary>
internal static class TinySafetensors
{
    public static byte[] Create(int floats)
    {
        string json = $$$"""{"w":{"dtype":"F32","shape":[{{{floats}}}],"data_offsets":[0,{{{floats * 4}}}]}}""";
        // Pad the header with spaces to a multiple of 8, as the reference writer does.
        json = json.PadRight((json.Length + 7) / 8 * 8);
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + floats * 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (int i = 0; i < floats; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + header.Length + 4 * i), i * 0.25f - 3f);
        return bytes;
    }
}
