namespace Sapling;

public sealed partial class Tensor
{
    /// <summary>
    /// input·weightᵀ + bias for input [..., in], weight [out, in] (any strides; a transposed view multiplies without a
    /// copy) and bias [out], as torch.nn.functional.linear. One op: the bias goes into the product's output before the
    /// GEMM adds onto it, so no bias-free intermediate is kept for the graph; the gradient rule reads input and weight.
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        RequireFloat("linear", input, weight);
        if (bias != null) RequireFloat("linear", input, bias);
        if (weight.Rank != 2)
            throw new ArgumentException($"linear: weight must be [out_features, in_features], got shape {ShapeUtil.Format(weight.shape)}");
        int outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        if (input.Rank == 0 || input.shape[^1] != inFeatures)
            throw new ArgumentException($"linear: input shape {ShapeUtil.Format(input.shape)} must end in {inFeatures} to meet weight shape {ShapeUtil.Format(weight.shape)}");
        if (bias != null && (bias.Rank != 1 || bias.shape[0] != outFeatures))
            throw new ArgumentException($"linear: bias shape {ShapeUtil.Format(bias.shape)} does not match {outFeatures} output features");

        var outShape = (int[])input.shape.Clone();
        outShape[^1] = outFeatures;
        int rows = inFeatures == 0 ? ShapeUtil.Numel(outShape) / Math.Max(outFeatures, 1) : input.NumEl / inFeatures;
        Tensor result;
        using (Autograd.NoGrad.Enter())
        {
            var x = input.Contiguous().Reshape(rows, inFeatures);
            var y = Uninitialized(input.DType, [rows, outFeatures]);
            if (bias != null) y.CopyFrom(bias.Reshape(1, outFeatures).Expand(rows, outFeatures));
            else if (inFeatures == 0) y.Fill(0);
            if (inFeatures > 0 && rows > 0 && outFeatures > 0)
            {
                var w = weight;
                // weightᵀ is [in, out]: row-major when the weight is a transposed view, column-major when it is dense.
                if (!GemmLayout(w.strides[1], w.strides[0], inFeatures, outFeatures, out bool tw, out int ldw))
                {
                    w = weight.ContiguousCopy();
                    GemmLayout(w.strides[1], w.strides[0], inFeatures, outFeatures, out tw, out ldw);
                }
                TensorKernels.For(input.DType).Gemm(false, tw, rows, outFeatures, inFeatures, x, x.offset, inFeatures, w, w.offset, ldw,
                    y, 0, outFeatures, accumulate: bias != null);
            }
            result = y.Reshape(outShape);
        }
        var inputs = bias != null ? new[] { input, weight, bias } : new[] { input, weight };
        return Record(result, "linear", inputs, g =>
        {
            var g2 = g.Contiguous().Reshape(rows, outFeatures);
            var dInput = input.requiresGrad ? g2.MatMul(weight).Reshape((int[])input.shape.Clone()) : null;
            var dWeight = weight.requiresGrad ? g2.T().MatMul(input.Contiguous().Reshape(rows, inFeatures)) : null;
            var dBias = bias is { requiresGrad: true } ? g2.Sum(0) : null;
            return bias != null ? [dInput, dWeight, dBias] : [dInput, dWeight];
        });
    }
}
