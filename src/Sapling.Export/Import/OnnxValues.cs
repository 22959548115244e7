namespace Sapling.Export.Import;

/// <summary>Host arrays as tensors of an ONNX shape, rank 0 included (a scalar is shape [], not [1]).</summary>
internal static class OnnxValues
{
    public static Tensor Shaped(float[] values, params int[] shape) => Scalar(Tensor.FromArray(values, Fit(shape, values.Length)), shape);
    public static Tensor Shaped(double[] values, params int[] shape) => Scalar(Tensor.FromArray(values, Fit(shape, values.Length)), shape);
    public static Tensor Shaped(long[] values, params int[] shape) => Scalar(Tensor.FromArray(values, Fit(shape, values.Length)), shape);
    public static Tensor Shaped(bool[] values, params int[] shape) => Scalar(Tensor.FromArray(values, Fit(shape, values.Length)), shape);

    /// <summary>Tensor.FromArray reads an empty shape as "one dimension of the array's length"; a rank-0 value is made as [1] and viewed as [].</summary>
    private static int[] Fit(int[] shape, int length) => shape.Length == 0 ? [length] : shape;

    private static Tensor Scalar(Tensor t, int[] shape) => shape.Length == 0 ? t.Reshape(Array.Empty<int>()) : t;
}
