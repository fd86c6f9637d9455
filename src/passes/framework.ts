// Running graph-level passes: a fixed list of named, pure steps from one compilation state to the
// next, each reported to the observer with the IR printed after it. The architecture passes'
// manager (manager.ts) shares the observer, so `--debug` sees both kinds in one stream.

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

/** A graph-level pass: a named, pure step from one compilation state to the next. */
export interface GraphPass<S> {
  readonly name: string;
  /** One line for help texts and docs. */
  readonly summary: string;
  run(state: S): S;
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
  let current = state;
  run.passes.forEach((pass, i) => {
    current = pass.run(current);
    run.observer?.graphPass?.({ index: i + (run.first ?? 1), pass: pass.name, network: run.network, ir: run.print(current) });
  });
  return current;
}
