#!/usr/bin/env node
// The installed entry point; the CLI is compiled into dist/ by `npm run build`.
import '../dist/cli/run.js';
