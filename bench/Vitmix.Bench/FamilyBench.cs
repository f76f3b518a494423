using Vitmix.Explain;
using Vitmix.Layers;
using Vitmix.Model;

namespace Vitmix.Bench;

/// <summary>
/// `quick families`: forward and four-map (rollout, attention Grad-CAM, transformer attribution, saliency from one shared
/// pass) times at batch 1 for the families added with issue 14, random weights at their real sizes: DINOv2-S/14 with 4
/// registers at 224 (timm layout, the features of the class token), Hugging Face's DINOv2-S/14 classifier at 224 (class
/// token + patch mean, 1000 classes) and BEiT-B/16 at 224 (relative position bias per block, patch mean).
/// </summary>
public static class FamilyBench
{
    public static int Run(string[] args)
    {
        var small = ArchitectureTable.Find("vit_small_patch14_reg4_dinov2")!.Config with { ImageHeight = 224, ImageWidth = 224 };
        var shapes = new (string Name, VitConfig Config)[]
        {
            ("DINOv2-S/14 reg4 224 (timm, features)", small with { NumClasses = 384, FeatureHead = true }),
            ("DINOv2-S/14 224 classifier (HF, cls+mean)", small with { RegisterTokens = 0, NoEmbedClass = false, Pool = GlobalPool.ClassAndPatchMean, NumClasses = 1000 }),
            ("BEiT-B/16 224 (rel. pos. bias)", ArchitectureTable.Find("beit_base_patch16_224")!.Config with { NumClasses = 1000 }),
        };
        Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
        int clip = Array.IndexOf(args, "clip");
        if (clip >= 0)
        {
            // The checkpoint bench/pytorch/clip_b16.py wrote and timed: the same weights on both sides.
            string folder = clip + 1 < args.Length ? args[clip + 1] : "/tmp/clip-b16";
            var loaded = ModelLoader.Load(folder, new ModelOverrides { ZeroShot = ZeroShotClasses.Read(Path.Combine(folder, "text.npy"), null) });
            Time($"{loaded.Family}", loaded.Network);
            return 0;
        }
        foreach (var (name, config) in shapes) Time(name, RandomVit.Create(config, 1));
        return 0;
    }

    static void Time(string name, VisionTransformer model)
    {
        var config = model.Config;
        var image = RandomVit.Images(config, 1, 2);
        double forward = QuickBench.Median(() => model.Forward(image), 4000);
        var four = ExplainerSet.Parse("rollout,gradcam,lrp,saliency");
        double maps = QuickBench.Median(() => four.Explain(model, image), 6000);
        Console.WriteLine($"  {name,-44} {config.NumTokens,4} tokens  forward {forward,7:F1} ms  four maps {maps,7:F1} ms ({maps / forward:F1} forwards)");
    }
}
