using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sapling.Federated;

/// <summary>A client's answer for one round: its weights after local training and how many examples it used.</summary>
public sealed record ClientUpdate(int Client, Dictionary<string, Tensor> Weights, long Samples, double Loss, double Accuracy);
