namespace Sapling.NN.Adapters;

/// <summary>
/// The low-rank update of LoRA (Hu et al., 2021): h = W₀x + (α/r)·B·A·x with A ∈ ℝ^{r×in} and B ∈ ℝ^{out×r}. A starts
/// random (Kaiming-uniform, as PEFT does) and B at zero, so training begins exactly at the pretrained model; only A and
/// B train.
/// </summary>
public sealed class LoraBranch
{
    public LoraBranch(int inFeatures, int outFeatures, int rank, float alpha, float dropout = 0f, Generator? generator = null)
    {
        if (rank <= 0) throw new ArgumentException($"LoRA rank must be positive, got {rank}");
        (InFeatures, OutFeatures, Rank, Alpha) = (inFeatures, outFeatures, rank, alpha);
        A = new Linear(inFeatures, rank, bias: false, generator: generator);
        B = new Linear(rank, outFeatures, bias: false, generator: generator);
        using (Autograd.NoGrad.Enter()) B.Weight.Fill(0f);
        Dropout = new Dropout(dropout);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public int Rank { get; }
    public float Alpha { get; }
    public float Scaling => Alpha / Rank;
    public Linear A { get; }
    public Linear B { get; }
    public Dropout Dropout { get; }

    /// <summary>True while the update is folded into the base weight (the branch then adds nothing in forward).</summary>
    public bool Merged { get; internal set; }

    /// <summary>(α/r)·B(A(dropout(x))), computed as two thin products rather than forming B·A.</summary>
    public Tensor Forward(Tensor x) => B.Forward(A.Forward(Dropout.Forward(x))).Mul(Scaling);

    /// <summary>(α/r)·B·A laid out [out, in].</summary>
    public Tensor DeltaWeight() => B.Weight.MatMul(A.Weight).Mul(Scaling);
}
