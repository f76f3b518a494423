using SkiaSharp;
using Vitmix.Data;
using Vitmix.Model;

namespace Vitmix.Tests.Data;

public sealed class InputLoaderTests : IDisposable
{
    readonly ImageFixtures _files = new();
    public void Dispose() => _files.Dispose();

    static readonly Preprocessing Pre = new() { InputHeight = 2, InputWidth = 2, CropPct = 1.0, Resize = ResizeMode.Crop, Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f] };

    static float[] Ramp(int n) => Enumerable.Range(0, n).Select(i => i * 0.25f - 1f).ToArray();

    [Theory]
    [InlineData(new[] { 1, 3, 2, 2 })]
    [InlineData(new[] { 3, 2, 2 })]
    public void Npy_float32_is_taken_as_already_normalised(int[] shape)
    {
        string path = _files.PathFor("x.npy");
        Npy.WriteFloat32(path, Ramp(12), shape);
        var t = InputLoader.Load(path, Pre, 2, 2);
        Assert.Equal(new[] { 1, 3, 2, 2 }, t.Shape);
        Assert.Equal(Ramp(12), t.Data);
    }

    [Theory]
    [InlineData(new[] { 1, 3, 4, 4 }, "(1, 3, 4, 4)")]
    [InlineData(new[] { 2, 3, 2, 2 }, "(2, 3, 2, 2)")]
    [InlineData(new[] { 12 }, "(12)")]
    [InlineData(new[] { 2, 2, 3 }, "(2, 2, 3)")]
    public void Npy_shape_mismatch_names_the_file_and_both_shapes(int[] shape, string shown)
    {
        string path = _files.PathFor("bad.npy");
        Npy.WriteFloat32(path, new float[shape.Aggregate(1, (a, b) => a * b)], shape);
        var e = Assert.Throws<InvalidDataException>(() => InputLoader.Load(path, Pre, 2, 2));
        Assert.Contains(path, e.Message);
        Assert.Contains(shown, e.Message);
        Assert.Contains("(1, 3, 2, 2)", e.Message);
    }

    [Fact]
    public void Npy_of_integers_is_rejected_as_not_normalised()
    {
        string path = _files.PathFor("u8.npy");
        Npy.WriteUInt8(path, new byte[12], 1, 3, 2, 2);
        var e = Assert.Throws<InvalidDataException>(() => InputLoader.Load(path, Pre, 2, 2));
        Assert.Contains("u1", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Image_goes_through_the_preprocessing()
    {
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
        string path = _files.Write("i.png", ImageFixtures.Encode(ImageFixtures.ToRgba(rgb), 2, 2, SKEncodedImageFormat.Png));
        var t = InputLoader.Load(path, Pre, 2, 2);
        // channel R over pixels (255, 0, 0, 255) → (1, −1, −1, 1)
        Assert.Equal(new[] { 1f, -1f, -1f, 1f }, t.Data[..4]);
        Assert.Equal(new[] { -1f, 1f, -1f, 1f }, t.Data[4..8]);
        Assert.Equal(new[] { -1f, -1f, 1f, 1f }, t.Data[8..]);
    }

    [Fact]
    public void Image_preprocessed_to_another_size_than_the_model_expects_is_an_error()
    {
        string path = _files.Write("i.png", ImageFixtures.Encode(new byte[16], 2, 2, SKEncodedImageFormat.Png));
        var e = Assert.Throws<SettingRequiredException>(() => InputLoader.Load(path, Pre, 4, 4));
        Assert.Contains(path, e.Message);
        Assert.Contains("4x4", e.Message);
        Assert.Equal("image-size", e.Setting); // the CLI names its option; the library does not
    }

    [Fact]
    public void Missing_input_is_FileNotFound_naming_it()
    {
        string path = _files.PathFor("gone.npy");
        var e = Assert.Throws<FileNotFoundException>(() => InputLoader.Load(path, Pre, 2, 2));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Non_image_file_is_not_a_decodable_image()
    {
        string path = _files.Write("notes.jpg", "hello"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => InputLoader.Load(path, Pre, 2, 2));
        Assert.StartsWith($"{path}: not a decodable image", e.Message);
    }
}
