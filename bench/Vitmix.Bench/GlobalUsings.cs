global using Tensor = Vitmix.Engine.Tensor;
