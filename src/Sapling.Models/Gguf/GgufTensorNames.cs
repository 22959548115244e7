using System.Text.RegularExpressions;

namespace Sapling.Models.Gguf;

/// <summary>
/// llama.cpp's tensor names for the Llama family (token_embd, blk.N.attn_q, ffn_down, output) against Hugging
/// Face's (model.embed_tokens, model.layers.N.self_attn.q_proj, mlp.down_proj, lm_head), both ways.
/// </summary>
public static partial class GgufTensorNames
{
    private static readonly (string Gguf, string HuggingFace)[] LayerParts =
    [
        ("attn_norm", "input_layernorm"),
        ("attn_q", "self_attn.q_proj"),
        ("attn_k", "self_attn.k_proj"),
        ("attn_v", "self_attn.v_proj"),
        ("attn_output", "self_attn.o_proj"),
        ("attn_q_norm", "self_attn.q_norm"),
        ("attn_k_norm", "self_attn.k_norm"),
        ("ffn_norm", "post_attention_layernorm"),
        ("ffn_gate", "mlp.gate_proj"),
        ("ffn_up", "mlp.up_proj"),
        ("ffn_down", "mlp.down_proj"),
    ];

    /// <summary>The GGUF name of a Hugging Face parameter name; null when llama.cpp has none for it.</summary>
    public static string? ToGguf(string name)
    {
        switch (name)
        {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
        }
        var m = HuggingFaceLayer().Match(name);
        if (!m.Success) return null;
        foreach (var (gguf, hf) in LayerParts)
            if (m.Groups[2].Value == hf) return $"blk.{m.Groups[1].Value}.{gguf}.{m.Groups[3].Value}";
        return null;
    }

    /// <summary>The Hugging Face name of a GGUF tensor name; null when the Llama family has none for it.</summary>
    public static string? ToHuggingFace(string name)
    {
        switch (name)
        {
            case "token_embd.weight": return "model.embed_tokens.weight";
            case "output_norm.weight": return "model.norm.weight";
            case "output.weight": return "lm_head.weight";
        }
        var m = GgufLayer().Match(name);
        if (!m.Success) return null;
        foreach (var (gguf, hf) in LayerParts)
            if (m.Groups[2].Value == gguf) return $"model.layers.{m.Groups[1].Value}.{hf}.{m.Groups[3].Value}";
        return null;
    }

    [GeneratedRegex(@"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$")]
    private static partial Regex HuggingFaceLayer();

    [GeneratedRegex(@"^blk\.(\d+)\.(.+)\.(weight|bias)$")]
    private static partial Regex GgufLayer();
}
