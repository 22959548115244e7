namespace Sapling.NN.Adapters;

/// <summary>
/// The low-rank update of LoRA (Hu et al., 2021): h = W₀x + (α/r)·B·A·x with A ∈ ℝ^{r×in} and B ∈ ℝ^{out×r}. A starts
/// random (Kaiming-uniform, as PEFT does) and B at zero, so training begins exactly at the pretrained model; only A and
/// B train.
/// </summary>
public sealed class LoraBranch
{
    /// <summary>
    /// Creates a branch for a layer mapping <paramref name="inFeatures"/> to <paramref name="outFeatures"/>; throws
    /// when <paramref name="rank"/> is not positive. <paramref name="dropout"/> applies to the branch's input only.
    /// </summary>
    public LoraBranch(int inFeatures, int outFeatures, int rank, float alpha, float dropout = 0f, Generator? generator = null)
    {
        if (rank <= 0) throw new ArgumentException($"LoRA rank must be positive, got {rank}");
        (InFeatures, OutFeatures, Rank, Alpha) = (inFeatures, outFeatures, rank, alpha);
        A = new Linear(inFeatures, rank, bias: false, generator: generator);
        B = new Linear(rank, outFeatures, bias: false, generator: generator);
        using (Autograd.NoGrad.Enter()) B.Weight.Fill(0f);
        // Masks come from the global generator, which the trainer seeds and saves in its checkpoints, so a resumed run
        // draws the masks the interrupted one would have; the generator given here only initialises A.
        Dropout = new Dropout(dropout);
    }

    /// <summary>Input size of the adapted layer.</summary>
    public int InFeatures { get; }
    /// <summary>Output size of the adapted layer.</summary>
    public int OutFeatures { get; }
    /// <summary>The rank r of the update (the inner size of B·A).</summary>
    public int Rank { get; }
    /// <summary>The LoRA α; the update is scaled by α/r.</summary>
    public float Alpha { get; }
    /// <summary>α/r, the factor applied to the branch's output.</summary>
    public float Scaling => Alpha / Rank;
    /// <summary>The down-projection, weight [r, in] (PEFT's lora_A).</summary>
    public Linear A { get; }
    /// <summary>The up-projection, weight [out, r], zero at creation (PEFT's lora_B).</summary>
    public Linear B { get; }
    /// <summary>Dropout applied to the input before A (PEFT's lora_dropout).</summary>
    public Dropout Dropout { get; }

    /// <summary>True while the update is folded into the base weight (the branch then adds nothing in forward).</summary>
    public bool Merged { get; internal set; }

    /// <summary>(α/r)·B(A(dropout(x))), computed as two thin products rather than forming B·A.</summary>
    public Tensor Forward(Tensor x) => B.Forward(A.Forward(Dropout.Forward(x))).Mul(Scaling);

    /// <summary>(α/r)·B·A laid out [out, in].</summary>
    public Tensor DeltaWeight() => B.Weight.MatMul(A.Weight).Mul(Scaling);
}
