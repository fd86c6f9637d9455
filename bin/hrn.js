#!/usr/bin/env node
// The installed entry point. `npm run build` compiles the CLI into dist/ and bundles it into
// dist/cli-bundle/ (one file for start-up, the parser library included; WebGPU, the code
// generator and training in chunks that only the commands using them load).
import '../dist/cli-bundle/run.js';
