// Before a sweep trains or queues anything, every run it will train is checked the way its
// training would check it: its data set read and matched against its network (class count, image
// fit, one batch of images), and its teacher, if it distils, loaded and matched against it. A mistake such as a wrong --data would otherwise surface only as each
// run fails, one after another (or on another machine, for a queued sweep). All problems are told
// in one message; runs that share a problem are listed together.

import { UserError } from '../errors.js';
import type { ArchIR } from '../ir/arch.js';
import type { LayerGraph } from '../ir/graph.js';
import { loadTeacher } from './teacher.js';
import type { RunConfig } from './expand.js';
import { SweepNetworks } from './network.js';
import { openRunData } from './train-run.js';

/** How many run labels a problem names before it says "and N more". */
const LABELS_SHOWN = 4;

/** What the check of one run depends on: runs that share it (seeds, say) share the answer. */
function dataKey(run: RunConfig, input: object, classes: number): string {
  const t = run.train;
  return JSON.stringify([run.data, input, classes, t.fit, t.batch, t.subset, t.testSubset, t.valSplit]);
}

/** Why the teacher of a distilled run cannot teach a network taking `arch`'s input and classes, or undefined. */
function teacherProblem(run: RunConfig, arch: ArchIR, teachers: Map<string, LayerGraph | UserError>, sources: Map<string, string>): string | undefined {
  if (!run.kd) return undefined;
  let teacher = teachers.get(run.kd.teacher);
  if (teacher === undefined) {
    try {
      teacher = loadTeacher(run.kd.teacher, run.kd.teacherFile, sources).graph;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      teacher = e;
    }
    teachers.set(run.kd.teacher, teacher);
  }
  if (teacher instanceof UserError) return teacher.message;
  const ti = teacher.nodes[0].shape;
  const si = arch.input;
  if (ti.c !== si.c || ti.h !== si.h || ti.w !== si.w) return `--teacher ${run.kd.teacher}: the teacher takes ${ti.c}x${ti.h}x${ti.w} images, the network ${si.c}x${si.h}x${si.w}`;
  if (teacher.classes !== arch.classes) return `--teacher ${run.kd.teacher}: the teacher has ${teacher.classes} classes, the network ${arch.classes}`;
  return undefined;
}

function runList(labels: string[]): string {
  const shown = labels.slice(0, LABELS_SHOWN).join(', ');
  const more = labels.length - LABELS_SHOWN;
  return `${labels.length} run${labels.length === 1 ? '' : 's'}: ${shown}${more > 0 ? `, and ${more} more` : ''}`;
}

/**
 * Throws one UserError naming every problem (and the runs it affects) when any of `runs` could not
 * be trained. `what` says what did not happen ("nothing was trained").
 */
export function checkRunsCanTrain(runs: RunConfig[], sources: Map<string, string>, what: string): void {
  const answers = new Map<string, string | undefined>();
  const problems = new Map<string, string[]>();
  // Runs that differ only in their seed train the same network; the members of a family share
  // one run of their pipeline.
  const archs = new Map<string, ArchIR>();
  const networks = new Map<string, SweepNetworks>();
  const teachers = new Map<string, LayerGraph | UserError>();
  for (const run of runs) {
    let problem: string | undefined;
    try {
      const netKey = JSON.stringify([run.source, run.set, run.declared, run.network, run.pipeline]);
      let ofFile = networks.get(run.source);
      if (ofFile === undefined) networks.set(run.source, (ofFile = new SweepNetworks(run.source, sources)));
      const arch = archs.get(netKey) ?? ofFile.member(run);
      archs.set(netKey, arch);
      const key = dataKey(run, arch.input, arch.classes);
      if (!answers.has(key)) {
        try {
          openRunData(run, arch);
          answers.set(key, undefined);
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          answers.set(key, e.message);
        }
      }
      problem = answers.get(key) ?? teacherProblem(run, arch, teachers, sources);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      problem = e.message;
    }
    if (problem !== undefined) problems.set(problem, [...(problems.get(problem) ?? []), run.label]);
  }
  if (problems.size === 0) return;
  const bad = [...problems.values()].reduce((n, l) => n + l.length, 0);
  const lines = [...problems].map(([problem, labels]) => `  ${problem} (${runList(labels)})`);
  throw new UserError(`${bad} of ${runs.length} run${runs.length === 1 ? '' : 's'} cannot be trained; ${what}:\n${lines.join('\n')}`);
}
