namespace Sapling.Models;

/// <summary>Where a loaded model's weight matrices live.</summary>
public enum WeightStorage
{
    /// <summary>
    /// Used in place from the memory-mapped safetensors files, in their stored dtype (bf16 stays 2 bytes): loading
    /// costs no copy, resident memory is the pages in use. Frozen: for inference and adapter training.
    /// </summary>
    Mapped,
    /// <summary>
    /// Read whole into memory (one region per file, advised for huge pages on Linux: llama.cpp's --no-mmap) and used
    /// there in their stored dtype. Loading costs a read of the files; decoding streams the weights faster than from a
    /// mapping. Frozen.
    /// </summary>
    Native,
    /// <summary>Converted to float32 managed tensors that train (full fine-tuning).</summary>
    Float32,
}
