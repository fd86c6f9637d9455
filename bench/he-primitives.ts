// Measures the HE primitives hrn's cost model prices (src/ir/he-cost.ts) with Microsoft SEAL
// (npm node-seal, SEAL 4.1 compiled to WebAssembly) at the model's parameters: BFV, polynomial
// degree 8192, SEAL's default 128-bit coefficient modulus (218 bits), a 41-bit batching prime as
// plaintext modulus. It derives the model's two constants from the medians
// (heConstantsFromPrimitives in src/ir/he-constants.ts says how) and prints them, last, as one JSON
// line; `--out FILE` also writes that line to FILE for `hrn stats --he-measured FILE`.
//
//   npx tsx bench/he-primitives.ts [--rounds 15] [--batch 10] [--out he-measured.json]
//
// The measurement runs in headless Chromium (he-primitives-page.ts says why), one thread, the
// way node-seal runs anywhere. docs/pi-cost.md compares the result with the fitted constants.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { transformSync } from 'esbuild';
import { chromium } from 'playwright-core';
import { FITTED_HE_CONSTANTS, heConstantsFromPrimitives } from '../src/ir/he-constants.js';
import { writeText } from '../src/report/write.js';
import type { PageOptions, PageResult } from './he-primitives-page.js';
import { median, quartiles } from './stats.js';

const CHROMIUM = '/usr/bin/chromium';
/** 15 * 2^37 + 1: a 41-bit prime that is 1 mod 2 * 8192, so that BFV batching works at degree 8192. */
const PLAIN_MODULUS = '2061584302081';
const DEGREE = 8192;

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '15' }, batch: { type: 'string', default: '10' }, out: { type: 'string' } },
});
const count = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`he-primitives: --${name} must be a positive integer, got '${v}'`);
    process.exit(1);
  }
  return n;
};
const options: PageOptions = { rounds: count('rounds', values.rounds), batch: count('batch', values.batch), polyModulusDegree: DEGREE, plainModulus: PLAIN_MODULUS };

const sealDir = dirname(fileURLToPath(import.meta.resolve('node-seal')));
const sealVersion = (JSON.parse(readFileSync(join(sealDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
const pageModule = transformSync(readFileSync(join(import.meta.dirname, 'he-primitives-page.ts'), 'utf8'), { loader: 'ts', format: 'esm' }).code;

/** What the page may fetch, by path: node-seal's files and the measuring module. */
const served: Record<string, { body: Buffer | string; type: string }> = {
  '/': { body: '<!doctype html><title>he-primitives</title>', type: 'text/html' },
  '/measure.js': { body: pageModule, type: 'text/javascript' },
  '/seal/index_throws.js': { body: readFileSync(join(sealDir, 'index_throws.js')), type: 'text/javascript' },
  '/seal/seal_throws.js': { body: readFileSync(join(sealDir, 'seal_throws.js')), type: 'text/javascript' },
  '/seal/seal_throws.wasm': { body: readFileSync(join(sealDir, 'seal_throws.wasm')), type: 'application/wasm' },
};

if (!existsSync(CHROMIUM)) {
  console.error(`he-primitives: ${CHROMIUM} is missing: run 'bash scripts/install-system.sh' as root (it installs Debian's chromium)`);
  process.exit(1);
}
const browser = await chromium.launch({ executablePath: CHROMIUM });
let result: PageResult;
let browserVersion: string;
try {
  browserVersion = browser.version();
  const page = await browser.newPage();
  // Served from requests the page makes to localhost, answered here, so nothing listens on a port.
  // Cross-origin isolation gives performance.now() its fine resolution.
  await page.route('http://localhost/**', (route) => {
    const file = served[new URL(route.request().url()).pathname];
    if (file === undefined) return route.fulfill({ status: 404 });
    return route.fulfill({
      status: 200,
      contentType: file.type,
      body: file.body,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    });
  });
  await page.goto('http://localhost/');
  result = (await page.evaluate(
    `(async (o) => {
      const { default: SEAL } = await import('/seal/index_throws.js');
      const { measure } = await import('/measure.js');
      // SEAL's C++ exceptions reach JavaScript as WebAssembly.Exception, whose message is in its stack.
      try { return measure(await SEAL(), o); } catch (e) { throw new Error(String(e?.stack ?? e)); }
    })(${JSON.stringify(options)})`,
  )) as PageResult;
} finally {
  await browser.close();
}

if (!result.productCorrect) throw new Error('the decrypted product is wrong: the timings would be of a broken computation');
const med: Record<string, number> = {};
const setting =
  `node-seal ${sealVersion} (SEAL 4.1, WebAssembly, one thread) in headless Chromium ${browserVersion}; ` +
  `BFV, N = ${DEGREE}, coefficient modulus ${result.coeffModulusBits.join('+')} bits, plaintext modulus ${result.plainModulusBits}-bit prime`;
console.log(setting);
console.log(`noise budget left after a multiplication and a rotation: ${result.noiseBudgetAfter} bits; timer ${result.crossOriginIsolated ? 'cross-origin isolated' : 'coarse (not isolated)'}`);
console.log(`ms per call, median of ${options.rounds} rounds of ${options.batch} calls (interquartile range):`);
for (const [name, xs] of Object.entries(result.samples)) {
  med[name] = median(xs);
  const [q1, q3] = quartiles(xs);
  console.log(`  ${name.padEnd(17)} ${med[name].toFixed(3).padStart(8)}  (${q1.toFixed(3)}-${q3.toFixed(3)})`);
}

const constants = heConstantsFromPrimitives({ multiplyPlainMs: med.multiplyPlain, addMs: med.add, rotateMs: med.rotate });
const ms = (s: number) => `${(s * 1000).toFixed(3)} ms`;
const vs = (measured: number, fitted: number) => `fitted ${ms(fitted)}; measured / fitted = ${(measured / fitted).toFixed(2)}`;
console.log('the model\'s constants:');
console.log(`  per multiplication = multiplyPlain + add = ${ms(constants.secondsPerMultiplication)}  (${vs(constants.secondsPerMultiplication, FITTED_HE_CONSTANTS.secondsPerMultiplication)})`);
console.log(`  per rotation       = rotate              = ${ms(constants.secondsPerRotation)}  (${vs(constants.secondsPerRotation, FITTED_HE_CONSTANTS.secondsPerRotation)})`);
console.log(`  (with weights and ciphertexts kept in NTT form, a multiplication would be multiplyPlainNtt + add = ${(med.multiplyPlainNtt + med.add).toFixed(3)} ms)`);

const line = JSON.stringify({
  ...constants,
  setting,
  rounds: options.rounds,
  batch: options.batch,
  primitivesMs: Object.fromEntries(Object.entries(med).map(([k, v]) => [k, Number(v.toFixed(4))])),
});
if (values.out !== undefined) writeText(values.out, line);
console.log(line);
