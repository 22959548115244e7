// A minimal ASP.NET app that answers chat through Microsoft.Extensions.AI's IChatClient, backed by a local Sapling
// model folder (any folder with a chat template, e.g. runs/tang-sft/model, or a .gguf file):
//   SAPLING_MODEL=runs/tang-sft/model dotnet run
//   curl -s localhost:5000/chat -d '{"message": "写一首关于春天的诗"}' -H 'content-type: application/json'
using Microsoft.Extensions.AI;
using Sapling.Extensions.AI;

var builder = WebApplication.CreateBuilder(args);
var modelPath = Environment.GetEnvironmentVariable("SAPLING_MODEL") ?? throw new InvalidOperationException("set SAPLING_MODEL to a model folder with a chat template");
builder.Services.AddSaplingChatClient(modelPath);
var app = builder.Build();

app.MapPost("/chat", async (ChatRequest request, IChatClient chat, CancellationToken cancel) =>
{
    var response = await chat.GetResponseAsync(request.Message, new ChatOptions { MaxOutputTokens = request.MaxTokens ?? 128, Temperature = 0.7f }, cancel);
    return Results.Ok(new { reply = response.Text, tokens = response.Usage?.OutputTokenCount, finish = response.FinishReason?.Value });
});
app.Run();

internal sealed record ChatRequest(string Message, int? MaxTokens);
