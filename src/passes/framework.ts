// The pass framework of every level: a pass is a named, pure step from one state to the next, and
// runPasses runs a list of them in order, telling a callback after each. The architecture passes'
// manager (manager.ts) binds each step of a user's pipeline to such a pass over a family of
// networks; the graph and training passes are fixed lists over one network's compilation state,
// run by runGraphPasses, which reports each to the observer with the IR printed after it. The
// observer is shared, so `--debug` sees every level in one stream.

/** A graph-level pass's report: the network it ran on and its IR printed after it. */
export interface GraphPassEvent {
  /** 1-based count of graph passes run so far in this run. */
  index: number;
  /** The registered pass name (`fuse`, `liveness`). */
  pass: string;
  /** The network being compiled. */
  network: string;
  /** The IR after the pass, as text. */
  ir: string;
}

/** What `runGraphPasses` reports to; the `--debug` observer implements it. */
export interface GraphPassObserver {
  graphPass?(event: GraphPassEvent): void;
}

/** A pass of any level: a named, pure step from one state to the next. */
export interface Pass<S> {
  readonly name: string;
  /** One line for help texts and docs. */
  readonly summary: string;
  run(state: S): S;
}

/** A graph-level pass: a pass over one network's compilation state. */
export type GraphPass<S> = Pass<S>;

/** Runs `passes` in order from `state`; `after` sees each pass, the state it made and its 0-based position. */
export function runPasses<S>(state: S, passes: Iterable<Pass<S>>, after?: (pass: Pass<S>, state: S, position: number) => void): S {
  let current = state;
  let position = 0;
  for (const pass of passes) {
    current = pass.run(current);
    after?.(pass, current, position++);
  }
  return current;
}

export interface GraphPassRun<S> {
  /** The passes, in the order they run. */
  passes: readonly GraphPass<S>[];
  /** Prints a state (only called when an observer wants the text). */
  print(state: S): string;
  /** The network's name, for the reports. */
  network: string;
  observer?: GraphPassObserver;
  /** The index reported for the first pass (default 1), when one run continues another. */
  first?: number;
}

/** Runs graph-level passes in order, reporting the IR after each to the observer. */
export function runGraphPasses<S>(state: S, run: GraphPassRun<S>): S {
  const seen = run.observer?.graphPass?.bind(run.observer);
  return runPasses(state, run.passes, seen && ((pass, after, i) => seen({ index: i + (run.first ?? 1), pass: pass.name, network: run.network, ir: run.print(after) })));
}
