namespace Sapling.Serving.Tests;

/// <summary>One server on a free loopback port with every test model, shared by a test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestModels Models { get; } = new();
    public SaplingServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public StringWriter Log { get; } = new();

    public async Task InitializeAsync()
    {
        Server = await SaplingServer.StartAsync(new ServeOptions { Models = Models.All, Port = 0, MaxBodyBytes = 64 * 1024 }, TextWriter.Synchronized(Log));
        Client = new HttpClient { BaseAddress = Server.Address, Timeout = TimeSpan.FromMinutes(1) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Models.Dispose();
    }
}
