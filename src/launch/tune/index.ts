// `hrn tune`'s search (search.ts) and what it is made of: a signature's dispatches cut out of a
// plan (group.ts), run on their own (run-group.ts) on seeded inputs (contents.ts).

export * from './search.js';
export { isPrimary, signatureCounts } from './group.js';
