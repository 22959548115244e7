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
        if (weight.IsStoredWeight) return LinearStored(input, weight, bias);
        RequireFloat("linear", input, weight);
        if (bias != null) RequireFloat("linear", input, bias);
        var (rows, inFeatures, outFeatures, outShape) = LinearShapes(input, weight, bias);
        // A weight stored [in, out] and passed as its transposed view (GPT-2's Conv1D) gets its gradient in that layout.
        bool storedInOut = weight.strides[0] == 1 && weight.strides[1] != 1;
        Tensor result;
        using (Autograd.NoGrad.Enter())
        {
            using var x = Rows(input, rows, inFeatures);
            var y = OutputRows(input.DType, rows, outFeatures, bias);
            if (bias == null && inFeatures == 0)
            {
                y.Fill(0);
            }
            if (inFeatures > 0 && rows > 0 && outFeatures > 0)
            {
                // weightᵀ is [in, out]: row-major when the weight is a transposed view, column-major when it is dense.
                bool usable = GemmLayout(weight.strides[1], weight.strides[0], inFeatures, outFeatures, out bool tw, out int ldw);
                using var dense = usable ? null : weight.ContiguousCopy();
                var w = dense ?? weight;
                if (dense != null) GemmLayout(w.strides[1], w.strides[0], inFeatures, outFeatures, out tw, out ldw);
                TensorKernels.For(input.DType).Gemm(false, tw, rows, outFeatures, inFeatures, x, x.offset, inFeatures, w, w.offset, ldw,
                    y, 0, outFeatures, accumulate: bias != null);
            }
            result = y.Reshape(outShape);
            y.Dispose();
        }
        var inputs = bias != null ? new[] { input, weight, bias } : new[] { input, weight };
        return Record(result, "linear", inputs, g =>
        {
            using var g2 = Rows(g, rows, outFeatures);
            var dInput = input.requiresGrad ? g2.MatMul(weight).Reshape((int[])input.shape.Clone()) : null;
            Tensor? dWeight = null;
            if (weight.requiresGrad)
            {
                using var x = Rows(input, rows, inFeatures);
                if (storedInOut)
                {
                    // xᵀ·g is the [in, out] gradient; handing back only its transposed view lets the transpose
                    // before this op return a contiguous buffer the parameter can keep without a copy.
                    using var inOut = x.T().MatMul(g2);
                    dWeight = inOut.T();
                }
                else
                {
                    dWeight = g2.T().MatMul(x);
                }
            }
            var dBias = bias is { requiresGrad: true } ? g2.Sum(0) : null;
            return bias != null ? [dInput, dWeight, dBias] : [dInput, dWeight];
        });
    }

    /// <summary>Checks linear's operand shapes; the rows of the input, its features, the outputs and the result's shape.</summary>
    private static (int Rows, int InFeatures, int OutFeatures, int[] OutShape) LinearShapes(Tensor input, Tensor weight, Tensor? bias)
    {
        if (weight.Rank != 2)
            throw new ArgumentException($"linear: weight must be [out_features, in_features], got shape {ShapeUtil.Format(weight.shape)}");
        int outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        if (input.Rank == 0 || input.shape[^1] != inFeatures)
            throw new ArgumentException($"linear: input shape {ShapeUtil.Format(input.shape)} must end in {inFeatures} to meet weight shape {ShapeUtil.Format(weight.shape)}");
        if (bias != null && (bias.Rank != 1 || bias.shape[0] != outFeatures))
            throw new ArgumentException($"linear: bias shape {ShapeUtil.Format(bias.shape)} does not match {outFeatures} output features");
        var outShape = (int[])input.shape.Clone();
        outShape[^1] = outFeatures;
        return (ShapeUtil.Numel(input.shape.AsSpan(0, input.Rank - 1)), inFeatures, outFeatures, outShape);
    }

    /// <summary>
    /// The output buffer [rows, out] of a linear product, holding the bias in every row when there is one (the GEMM
    /// then adds onto it); undefined otherwise.
    /// </summary>
    private static Tensor OutputRows(DType dtype, int rows, int outFeatures, Tensor? bias)
    {
        var y = Uninitialized(dtype, [rows, outFeatures]);
        if (bias == null) return y;
        using var biasRow = bias.Reshape(1, outFeatures);
        using var rowsOfBias = biasRow.Expand(rows, outFeatures);
        return y.CopyFrom(rowsOfBias);
    }

    /// <summary>A [rows, width] view of t's elements in order; a contiguous copy made on the way lives only as long as the view.</summary>
    private static Tensor Rows(Tensor t, int rows, int width)
    {
        var c = t.Contiguous();
        var view = c.Reshape(rows, width);
        if (!ReferenceEquals(c, t)) c.Dispose();
        return view;
    }
}
