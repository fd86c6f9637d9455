// The measuring half of bench/he-primitives.ts. It runs inside headless Chromium, not in Node:
// node-seal 7's WebAssembly uses exception handling with exnref, which Node 20's V8 cannot compile,
// while Chromium's V8 (the engine of newer Node releases) runs it. Plain browser code, then: no
// Node APIs, and only type imports (the bench strips the types with esbuild before serving it).

import type { Ciphertext, MainModule } from 'node-seal';

export interface PageOptions {
  rounds: number;
  /** Calls per timed sample: one call of the fastest primitives is near the timer's resolution. */
  batch: number;
  polyModulusDegree: number;
  /** The plaintext modulus (a batching prime), in decimal. */
  plainModulus: string;
}

export interface PageResult {
  /** Per primitive, milliseconds per call of each round. */
  samples: Record<string, number[]>;
  coeffModulusBits: number[];
  plainModulusBits: number;
  /** Noise budget left after a multiplication and a rotation: the parameters leave room to decrypt. */
  noiseBudgetAfter: number;
  /** Whether the decrypted product is the slot-wise product: what was timed computes the right thing. */
  productCorrect: boolean;
  crossOriginIsolated: boolean;
}

export function measure(seal: MainModule, o: PageOptions): PageResult {
  const n = o.polyModulusDegree;
  const parms = new seal.EncryptionParameters(seal.SchemeType.bfv);
  parms.setPolyModulusDegree(n);
  // SEAL's default chain for 128-bit security at this degree; its last prime is the special
  // prime of key switching, so ciphertexts carry the others.
  parms.setCoeffModulus(seal.CoeffModulus.BFVDefault(n, seal.SecLevelType.tc128));
  parms.setPlainModulus(new seal.Modulus(BigInt(o.plainModulus)));
  const context = new seal.SEALContext(parms, true, seal.SecLevelType.tc128);
  if (!context.parametersSet()) throw new Error('SEAL rejected the encryption parameters');
  if (!context.firstContextData().qualifiers().usingBatching) throw new Error(`plaintext modulus ${o.plainModulus} does not allow batching at degree ${n}`);
  const chain = parms.coeffModulus();
  const moduliBits = Array.from({ length: chain.size() }, (_, i) => chain.get(i)?.bitCount() ?? 0);

  const keys = new seal.KeyGenerator(context);
  const encryptor = new seal.Encryptor(context, keys.createPublicKey());
  const decryptor = new seal.Decryptor(context, keys.secretKey());
  const evaluator = new seal.Evaluator(context);
  const encoder = new seal.BatchEncoder(context);
  // One key for the step measured: a rotation by a step with its own key is one key switch, as
  // the model counts it (Gazelle generates a key for every step its convolutions use).
  const galois = keys.createGaloisKeysWithSteps(Int32Array.from([1]));

  const slots = encoder.slotCount();
  const values = (seed: number) => BigInt64Array.from({ length: slots }, (_, i) => BigInt((i * 7 + seed) % 256));
  const weights = new seal.Plaintext();
  encoder.encode(values(3), weights);
  const input = new seal.Plaintext();
  encoder.encode(values(1), input);
  const ct = new seal.Ciphertext();
  encryptor.encrypt(input, ct);
  const ct2 = new seal.Ciphertext();
  encryptor.encrypt(input, ct2);
  const out = new seal.Ciphertext();
  const decrypted = new seal.Plaintext();

  // The NTT-form variant: weights and ciphertext transformed once, then multiplied point-wise.
  // copy(), not clone(): an embind clone is a second handle on the same SEAL object.
  const weightsNtt = weights.copy();
  evaluator.plainTransformToNttInplace(weightsNtt, context.firstParmsId());
  const ctNtt: Ciphertext = ct.copy();
  evaluator.cipherTransformToNttInplace(ctNtt);

  const primitives: Record<string, () => void> = {
    multiplyPlain: () => evaluator.multiplyPlain(ct, weights, out),
    multiplyPlainNtt: () => evaluator.multiplyPlain(ctNtt, weightsNtt, out),
    transformToNtt: () => evaluator.cipherTransformToNtt(ct, out),
    add: () => evaluator.add(ct, ct2, out),
    rotate: () => evaluator.rotateRows(ct, 1, galois, out),
    encode: () => encoder.encode(values(5), decrypted),
    encrypt: () => encryptor.encrypt(input, out),
    decrypt: () => decryptor.decrypt(ct, decrypted),
  };

  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(primitives)) samples[name] = [];
  // Warm up every primitive (the JIT tiers up the WebAssembly), then interleave them round by
  // round so that a noisy stretch of the machine falls on all of them alike.
  for (const f of Object.values(primitives)) for (let i = 0; i < o.batch; i++) f();
  for (let r = 0; r < o.rounds; r++) {
    for (const [name, f] of Object.entries(primitives)) {
      const t0 = performance.now();
      for (let i = 0; i < o.batch; i++) f();
      samples[name].push((performance.now() - t0) / o.batch);
    }
  }

  evaluator.multiplyPlain(ct, weights, out);
  decryptor.decrypt(out, decrypted);
  const product = encoder.decodeBigInt64(decrypted) as BigInt64Array;
  const [a, b] = [values(1), values(3)];
  const productCorrect = product.every((v, i) => v === a[i] * b[i]);
  evaluator.rotateRowsInplace(out, 1, galois);
  return {
    productCorrect,
    samples,
    coeffModulusBits: moduliBits,
    plainModulusBits: parms.plainModulus().bitCount(),
    noiseBudgetAfter: decryptor.invariantNoiseBudget(out),
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  };
}
