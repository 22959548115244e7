using Sapling.IO;

namespace Sapling.Federated;

/// <summary>Model weights as they travel between coordinator and clients: safetensors bytes, nothing else.</summary>
public static class WeightsFile
{
    /// <summary>Encodes weights as safetensors bytes, ready to send.</summary>
    public static byte[] ToBytes(IReadOnlyDictionary<string, Tensor> weights)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-fed-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, weights);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Reads weights received over the network; <paramref name="source"/> names them in errors.</summary>
    public static Dictionary<string, Tensor> FromBytes(byte[] bytes, string source)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sapling-fed-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                return SafeTensors.LoadAll(path);
            }
            catch (SafeTensorsFormatException e)
            {
                throw new InvalidDataException($"{source}: the weights are not a valid safetensors file ({e.Message})", e);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
