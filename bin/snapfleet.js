#!/usr/bin/env node
// `npx snapfleet`: there is no build step, so register tsx's loader and run the TypeScript entry.
require("tsx/cjs/api").register();
require("./snapfleet.ts");
