// A pipeline as data: the steps a `pipeline NAME { ... }` block or a `--pipeline` text asks for.
// The parser produces these and the pass manager consumes them; both take the type from here, so
// the passes do not depend on the parser.

import type { SourceSpan } from '../diagnostics.js';

/** One argument of a pipeline step. `S3 > S2` is one argument with text `S3>S2` (spaces dropped). */
export interface PipelineArg {
  text: string;
  span: SourceSpan;
}

export interface PipelineStep {
  pass: string;
  args: PipelineArg[];
  /** The whole step, pass name to last argument. */
  span: SourceSpan;
}
