using System.Diagnostics;
using Vitmix.Engine;
using Vitmix.Explain;
using Vitmix.Model;
#if PASS_IS_DISPOSABLE
using Vitmix.Layers;
#endif

// ViT-B/16 at 224 with random weights (the bench's RandomVit recipe): the forward, one forward + backward (saliency's
// and Grad-CAM's pass) and the four ViTmiX maps from one shared pass, each the median of several runs after a
// warm-up, with the page faults each run took. Usage: BeforeAfter BATCH [LABEL [RUNS]].
// BeforeAfter curve [LABEL [RUNS]]: a 100-step deletion curve in batches of 16 against the same 101 images forwarded
// in batch-16 calls (6 of 16 and one of 5), alternating, so the curve's own cost beyond its forwards shows.
bool curveMode = args[0] == "curve";
int batch = curveMode ? 16 : int.Parse(args[0]);
string label = args.Length > 1 ? args[1] : "";
int runs = args.Length > 2 ? int.Parse(args[2]) : batch == 1 ? 7 : 3;

var config = new VitConfig();
var rng = new Random(1);
var state = new Dictionary<string, Tensor>();
foreach (var (name, shape) in VitWeights.ExpectedShapes(config))
{
    var t = new Tensor(shape);
    for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() - 0.5) * 0.05f;
    state[name] = t;
}
var model = new VisionTransformer(config, VitWeights.FromStateDict(config, state, "random"));
var images = new Tensor(batch, 3, 224, 224);
for (int i = 0; i < images.Length; i++) images.Data[i] = (float)rng.NextDouble();
var four = ExplainerSet.Parse("rollout,gradcam,saliency,lrp");
var process = Process.GetCurrentProcess();

static long MinorFaults() => long.Parse(File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ')[7]);

void ForwardBackward()
{
    var pass = ExplanationPass.Compute(model, images, PassRequirements.InputGradient | PassRequirements.AttentionGradients);
#if PASS_IS_DISPOSABLE
    pass.Dispose();
#endif
}

double Time(string what, Action action)
{
    action();
    var ms = new List<double>();
    var cpu = new List<double>();
    var faults = new List<long>();
    for (int r = 0; r < runs; r++)
    {
        process.Refresh();
        var c0 = process.TotalProcessorTime;
        long f0 = MinorFaults();
        var sw = Stopwatch.StartNew();
        action();
        ms.Add(sw.Elapsed.TotalMilliseconds);
        process.Refresh();
        cpu.Add((process.TotalProcessorTime - c0).TotalMilliseconds);
        faults.Add(MinorFaults() - f0);
    }
    ms.Sort(); cpu.Sort(); faults.Sort();
    double median = ms[runs / 2];
    Console.WriteLine($"{label,-8} batch {batch,2}  {what,-30} {median,9:F0} ms  {median / batch,7:F1} ms/image  CPU {cpu[runs / 2],9:F0} ms  page faults {faults[runs / 2],8}");
    return median;
}

if (curveMode)
{
    var image = new Tensor(1, 3, 224, 224);
    for (int i = 0; i < image.Length; i++) image.Data[i] = (float)rng.NextDouble();
    var map = new float[224 * 224];
    for (int i = 0; i < map.Length; i++) map[i] = (float)rng.NextDouble();
    var calls = new List<Tensor>();
    for (int left = 101; left > 0; left -= 16) calls.Add(new Tensor(Math.Min(16, left), 3, 224, 224));
    var curve = new Vitmix.Evaluation.DeletionCurve(model, new Vitmix.Evaluation.PerturbationOptions { Steps = 100, BatchSize = 16 });
    double plain = 0, curved = 0;
    runs = args.Length > 2 ? runs : 1;
    for (int round = 0; round < 2; round++)
    {
        plain = Time("101 images, batch-16 forwards", () => { foreach (var t in calls) model.Forward(t); });
        curved = Time("deletion curve, 100 steps, b16", () => curve.Compute(image, map));
    }
    Console.WriteLine($"{label,-8} curve / 101 batch-16 forwards = {curved / plain:F3}");
    return;
}

double forward = Time("forward", () => model.Forward(images));
double backward = Time("forward + backward", ForwardBackward);
double maps = Time("four ViTmiX maps, one pass", () => four.Explain(model, images));
Console.WriteLine($"{label,-8} batch {batch,2}  in forwards: forward + backward {backward / forward:F2}, four maps {maps / forward:F2}");
