namespace Vitmix.Model.Checkpoints;

/// <summary>The element types a safetensors header may name (safetensors <c>Dtype</c> enum).</summary>
public enum SafeTensorDtype
{
    BOOL, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ,
    I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64, F4, F6_E2M3, F6_E3M2,
}

/// <summary>Sizes and names of <see cref="SafeTensorDtype"/>.</summary>
public static class SafeTensorDtypes
{
    /// <summary>Bits per element, as in safetensors' <c>Dtype::bitsize</c>.</summary>
    public static int Bits(this SafeTensorDtype dtype) => dtype switch
    {
        SafeTensorDtype.F4 => 4,
        SafeTensorDtype.F6_E2M3 or SafeTensorDtype.F6_E3M2 => 6,
        SafeTensorDtype.BOOL or SafeTensorDtype.U8 or SafeTensorDtype.I8 or SafeTensorDtype.F8_E5M2 or SafeTensorDtype.F8_E4M3
            or SafeTensorDtype.F8_E8M0 or SafeTensorDtype.F8_E4M3FNUZ or SafeTensorDtype.F8_E5M2FNUZ => 8,
        SafeTensorDtype.I16 or SafeTensorDtype.U16 or SafeTensorDtype.F16 or SafeTensorDtype.BF16 => 16,
        SafeTensorDtype.I32 or SafeTensorDtype.U32 or SafeTensorDtype.F32 => 32,
        SafeTensorDtype.C64 or SafeTensorDtype.F64 or SafeTensorDtype.I64 or SafeTensorDtype.U64 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>True for the types a ViT weight may have: F32, F16 and BF16 (converted to float32 on load).</summary>
    public static bool IsFloatWeight(this SafeTensorDtype dtype) =>
        dtype is SafeTensorDtype.F32 or SafeTensorDtype.F16 or SafeTensorDtype.BF16;

    /// <summary>Parses a header dtype string exactly (case-sensitive, as the reference reader does).</summary>
    public static bool TryParse(string text, out SafeTensorDtype dtype)
    {
        // Enum.TryParse would also accept numbers and other casings; the format names exactly these strings.
        foreach (var d in Enum.GetValues<SafeTensorDtype>())
        {
            if (d.ToString() == text) { dtype = d; return true; }
        }
        dtype = default;
        return false;
    }
}
