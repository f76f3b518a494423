namespace Vitmix.Model.Checkpoints;

/// <summary>The element types a safetensors header may name (safetensors <c>Dtype</c> enum).</summary>
public enum SafeTensorDtype
{
    /// <summary>Boolean, one byte per element.</summary>
    BOOL,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>8-bit float, 5 exponent and 2 mantissa bits (OCP FP8 E5M2).</summary>
    F8_E5M2,
    /// <summary>8-bit float, 4 exponent and 3 mantissa bits (OCP FP8 E4M3).</summary>
    F8_E4M3,
    /// <summary>8-bit scale, 8 exponent bits and no mantissa (OCP MX E8M0).</summary>
    F8_E8M0,
    /// <summary>8-bit float E4M3 without infinities and with one unsigned zero (the "fnuz" variant).</summary>
    F8_E4M3FNUZ,
    /// <summary>8-bit float E5M2 without infinities and with one unsigned zero (the "fnuz" variant).</summary>
    F8_E5M2FNUZ,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Unsigned 16-bit integer.</summary>
    U16,
    /// <summary>IEEE 754 half precision (16-bit float); a weight type, widened to float32 on load.</summary>
    F16,
    /// <summary>bfloat16 (the upper 16 bits of a float32); a weight type, widened to float32 on load.</summary>
    BF16,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Unsigned 32-bit integer.</summary>
    U32,
    /// <summary>IEEE 754 single precision (32-bit float); the type Vitmix computes in.</summary>
    F32,
    /// <summary>Complex number of two float32 (64 bits).</summary>
    C64,
    /// <summary>IEEE 754 double precision (64-bit float).</summary>
    F64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
    /// <summary>4-bit float (OCP MX FP4 E2M1), two per byte.</summary>
    F4,
    /// <summary>6-bit float, 2 exponent and 3 mantissa bits (OCP MX FP6 E2M3).</summary>
    F6_E2M3,
    /// <summary>6-bit float, 3 exponent and 2 mantissa bits (OCP MX FP6 E3M2).</summary>
    F6_E3M2,
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
