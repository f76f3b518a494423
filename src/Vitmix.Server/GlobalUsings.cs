global using Microsoft.AspNetCore.Http;
global using Tensor = Vitmix.Engine.Tensor;
global using Microsoft.Extensions.DependencyInjection;
