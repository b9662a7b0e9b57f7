#!/usr/bin/env node
// `npx snapfleet`: there is no build step, so register tsx's loader and run the TypeScript entry.
require("tsx/cjs/api").register();
// The AWS SDK prints a multi-line notice on Node.js below 22 with every command; snapfleet supports
// and tests Node 20 (README), so the notice says nothing the operator can act on. As in local runs
// (local/polyfills.ts); set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
require("./snapfleet.ts");
