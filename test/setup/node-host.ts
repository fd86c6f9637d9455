// Every test runs in Node: kernel templates come from the files under kernels/.
import '../../src/codegen/template-files.js';
// ... and every op's definitions are handed to the layers, the reference's too.
import '../../src/ops/index.js';
import '../../src/ops/reference.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// No test reads or writes the tuning cache of whoever runs the suite (~/.cache/hrn, which hrn
// compile, train and infer would otherwise plan with): each test file gets an empty one of its own,
// and the hrn processes tests start inherit it.
const tuneCache = mkdtempSync(join(tmpdir(), 'hrn-test-tune-cache-'));
process.env.HRN_CACHE_DIR = tuneCache;
afterAll(() => rmSync(tuneCache, { recursive: true, force: true }));
