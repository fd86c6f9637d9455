// One layer's definitions of the layer graph's ops, looked up by op name. The definitions live in
// the ops' folders (src/ops/<op>/), above every layer that looks them up, so a layer cannot import
// them: src/ops/index.ts hands each layer its table once, when a program starts (the driver, the
// package entries and the test setup import it).

export class OpTable<Def> {
  private defs: ReadonlyMap<string, Def> | undefined;

  /** `what` names one op's definition in messages (`export`), `plural` all of them (`exports`). */
  constructor(
    private readonly what: string,
    private readonly plural: string,
  ) {}

  /** Replaces the table: one entry per op that has a definition in this layer. */
  define(defs: Readonly<Record<string, Def>>): void {
    this.defs = new Map(Object.entries(defs));
  }

  has(op: string): boolean {
    return this.table().has(op);
  }

  get(op: string): Def {
    const def = this.table().get(op);
    if (def === undefined) throw new Error(`op ${op} has no ${this.what} (src/ops/${op}/)`);
    return def;
  }

  private table(): ReadonlyMap<string, Def> {
    if (this.defs === undefined) {
      throw new Error(`the ops' ${this.plural} are not registered: the program must import src/ops/index.ts first (the driver and the package entries do)`);
    }
    return this.defs;
  }
}
