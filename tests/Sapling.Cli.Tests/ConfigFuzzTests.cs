using Sapling.Cli.Config;
using Sapling.Testing;
using Xunit.Abstractions;

namespace Sapling.Cli.Tests;

/// <summary>
/// Mutated YAML configs (the shipped ones as seeds): each is read and bound to typed options, or refused with an
/// error naming the file or the setting, never a raw exception from the YAML library or the binding.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void YamlConfigsBindOrGetANamedError()
    {
        var configs = Path.Combine(RepositoryPaths.Root!, "configs");
        var dir = Directory.CreateTempSubdirectory("sapling-fuzz-yaml-").FullName;
        var path = Path.Combine(dir, "config.yaml");
        void Bind(byte[] bytes)
        {
            File.WriteAllBytes(path, bytes);
            var tree = ConfigTree.Load(path);
            if (tree.Get("task", "classification") == "language_model")
            {
                var options = LanguageModelConfig.Bind(tree);
                options.Validate();
            }
            else
            {
                var (_, _, train) = ClassificationConfig.Bind(tree);
                train.Validate();
            }
            DistributedConfig.Bind(tree).Validate();
        }
        try
        {
            // The configs `sapling train` reads (sweep, federated and finetune configs have binders of their own).
            var seeds = Directory.GetFiles(configs, "*.yaml").Order(StringComparer.Ordinal).Select(File.ReadAllBytes)
                .Where(bytes => System.Text.Encoding.UTF8.GetString(bytes) is var text && !text.Contains("sweep:") && !text.Contains("federated:") && !text.Contains("method:")).ToList();
            Assert.True(seeds.Count >= 5, $"only {seeds.Count} train configs found in {configs}");
            var report = new Fuzzer(9).Run("YAML configs", seeds, Bind, e => e is InvalidDataException or ArgumentException && e is not ArgumentNullException);
            output.WriteLine(report.ToString());
            Fuzzer.AssertClean(report);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
