return Sentio.Cli.SentioCommandLine.Run(args);
