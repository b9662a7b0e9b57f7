// Handler logs are JSON lines for CloudWatch; in tests they only bury the results.
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
