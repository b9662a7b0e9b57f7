// Imported first by the benchmark: handler logs would bury the figures. Powertools reads the
// level when the logger is built, at import time of functions/common.ts.
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
