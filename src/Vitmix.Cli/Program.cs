Console.WriteLine("vitmix");
