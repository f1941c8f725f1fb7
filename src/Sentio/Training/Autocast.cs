using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Sentio.Training;

/// <summary>libtorch's own autocast (what <c>torch.autocast</c> switches in PyTorch), for the current thread: inside a
/// region, matmul-like ops (linear, matmul, bmm, conv, attention) run in the region's dtype while precision-sensitive ops
/// (softmax, losses, norms, reductions) run in float32, and parameters stay float32 — casts are recorded in the graph, so
/// gradients reach the float32 weights.</summary>
/// <remarks>TorchSharp 0.107 wraps no autocast API, so this calls the libtorch functions
/// <c>at::autocast::set_autocast_enabled</c>, <c>set_autocast_dtype</c> and <c>clear_cache</c> that <c>torch.autocast</c>
/// itself calls, by their Itanium-ABI (Linux, macOS) symbol names; on other platforms <see cref="Begin"/> throws a
/// <see cref="SentioException"/>.</remarks>
public sealed class Autocast : IDisposable
{
    private const string LibTorch = "libtorch_cpu";

    // c10::DeviceType and c10::ScalarType are int8 enums; TorchSharp's ScalarType uses c10's values, DeviceType CPU 0, CUDA 1.
    [DllImport(LibTorch, EntryPoint = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb")]
    private static extern void SetEnabled(sbyte device, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(LibTorch, EntryPoint = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool IsEnabledNative(sbyte device);

    [DllImport(LibTorch, EntryPoint = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE")]
    private static extern void SetDtype(sbyte device, sbyte dtype);

    [DllImport(LibTorch, EntryPoint = "_ZN2at8autocast11clear_cacheEv")]
    private static extern void ClearCache();

    private readonly sbyte device;
    private readonly bool wasEnabled;

    private Autocast(sbyte device, bool wasEnabled)
    {
        this.device = device;
        this.wasEnabled = wasEnabled;
    }

    /// <summary>Whether autocast is on for <paramref name="device"/> on this thread.</summary>
    public static bool IsEnabled(DeviceType device) => Call(() => IsEnabledNative(Code(device)));

    /// <summary>Turns autocast on for <paramref name="device"/> with <paramref name="dtype"/> (BFloat16 or Float16) on this
    /// thread until the returned region is disposed, on the same thread.</summary>
    public static Autocast Begin(DeviceType device, ScalarType dtype)
    {
        if (dtype is not (ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "autocast runs in bfloat16 or float16");
        sbyte code = Code(device);
        bool wasEnabled = IsEnabled(device);
        SetDtype(code, (sbyte)dtype);
        SetEnabled(code, true);
        return new Autocast(code, wasEnabled);
    }

    public void Dispose()
    {
        if (wasEnabled) return;
        SetEnabled(device, false);
        // Within a region libtorch caches each float32 weight's low-precision copy; the optimizer changes the weights
        // after the region, so the next region must cast them afresh (torch.autocast clears at its outermost exit too).
        ClearCache();
    }

    private static sbyte Code(DeviceType device) => device switch
    {
        DeviceType.CPU => 0,
        DeviceType.CUDA => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(device), device, "autocast is wired for cpu and cuda"),
    };

    private static T Call<T>(Func<T> call)
    {
        // TorchSharp loads libtorch_cpu from its package folder; once loaded, the DllImport resolves to that copy.
        torch.InitializeDeviceType(DeviceType.CPU);
        try { return call(); }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            throw new SentioException($"training.precision: mixed precision calls libtorch's autocast entry points, which were not found " +
                $"on this platform ({e.Message}); use precision: fp32", e);
        }
    }
}
