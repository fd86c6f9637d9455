// The pipelines `hrn design` tries on every HybReNet family member when `--pipelines` does not
// name others. Each is written so that it applies to a network of any number of stages (`thin
// remaining` rather than `thin S2 S3 S4`); one that does not apply to a member (alpha on a network
// without a width basis, reuse on channels it cannot split) is skipped for that member.

/** One pipeline of a design: `text` null means the network as declared. */
export interface DesignPipeline {
  /** As the user reads it in the table: `none`, a pipeline's name, or its steps. */
  label: string;
  text: string | null;
}

export const NO_PIPELINE = 'none';

/**
 * The standard set: the network as it is; thinning everywhere; DeepReDuce's culling of Stage1 with
 * the rest thinned; ReLU-reuse 4 everywhere; Algorithm 2's variant family (`deepreshape`), and the
 * built-in `hybrenet` after its equalization step (the members are already equalized).
 */
export const STANDARD_PIPELINES: readonly string[] = [NO_PIPELINE, 'thin all', 'cull S1; thin remaining', 'reuse 4', 'deepreshape', 'alpha 2; deepreshape'];

/**
 * The pipelines of `--pipelines` values: each value holds one pipeline or several separated by `|`
 * (a pipeline's own steps are separated by `;`). Empty entries and repeats are dropped.
 */
export function designPipelines(values: readonly string[]): DesignPipeline[] {
  const texts = (values.length > 0 ? values.flatMap((v) => v.split('|')) : STANDARD_PIPELINES).map((t) => t.trim()).filter((t) => t !== '');
  return [...new Set(texts)].map((t) => ({ label: t, text: t === NO_PIPELINE ? null : t }));
}
