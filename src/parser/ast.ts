// The typed AST of a .hrn file: what the CST visitor builds and the resolver reads. Nodes keep the
// source span of everything a diagnostic may point at. After a syntax error the visitor still
// builds what it can; parts it could not read are left out (optional fields) rather than invented.

import type { SourceSpan } from '../diagnostics.js';
import type { PipelineStep } from '../ir/pipeline.js';
export type { PipelineArg, PipelineStep } from '../ir/pipeline.js';

export type BinaryOp = '+' | '-' | '*' | '/';

export type Expr =
  | { kind: 'number'; value: number; text: string; span: SourceSpan }
  | { kind: 'ref'; name: string; span: SourceSpan }
  | { kind: 'list'; items: Expr[]; span: SourceSpan }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: SourceSpan }
  | { kind: 'negate'; operand: Expr; span: SourceSpan };

/** A name as written, with where it was written. */
export interface Name {
  name: string;
  span: SourceSpan;
}

export interface ParamStmt {
  kind: 'param';
  span: SourceSpan;
  keyword: SourceSpan;
  name?: Name;
  value?: Expr;
}

export interface InputStmt {
  kind: 'input';
  span: SourceSpan;
  keyword: SourceSpan;
  /** C, H, W in that order; fewer when the statement was malformed. */
  dims: Expr[];
}

export interface ClassesStmt {
  kind: 'classes';
  span: SourceSpan;
  keyword: SourceSpan;
  value?: Expr;
}

export interface KernelStmt {
  kind: 'kernel';
  span: SourceSpan;
  keyword: SourceSpan;
  value?: Expr;
}

export interface StemStmt {
  kind: 'stem';
  span: SourceSpan;
  keyword: SourceSpan;
  /** `conv3x3` etc.: the stem convolution's kernel comes from this name. */
  conv?: Name;
  channels?: Expr;
  stride?: Expr;
}

export interface BlockStmt {
  kind: 'block';
  span: SourceSpan;
  keyword: SourceSpan;
  block?: Name;
  /** `groups 8` after the kind. */
  option?: { name: Name; value?: Expr };
}

export type StageClauseName = 'depths' | 'widths' | 'channels' | 'strides';

export interface StageClause {
  name: StageClauseName;
  keyword: SourceSpan;
  value?: Expr;
  span: SourceSpan;
}

export interface StagesStmt {
  kind: 'stages';
  span: SourceSpan;
  keyword: SourceSpan;
  clauses: StageClause[];
}

/** A head item: `avgpool`, `maxpool`, `fc`, or `fc(EXPR)` (a hidden layer of that width). */
export interface HeadItem extends Name {
  size?: Expr;
}

export interface HeadStmt {
  kind: 'head';
  span: SourceSpan;
  keyword: SourceSpan;
  items: HeadItem[];
}

export interface CriticalityStmt {
  kind: 'criticality';
  span: SourceSpan;
  keyword: SourceSpan;
  /** Stage names, most critical first. */
  order: Name[];
}

export type Statement =
  | ParamStmt
  | InputStmt
  | ClassesStmt
  | KernelStmt
  | StemStmt
  | BlockStmt
  | StagesStmt
  | HeadStmt
  | CriticalityStmt;

export type StatementKind = Statement['kind'];

/** A network declaration as written; `resolveNetwork` turns it into an `ArchIR`. */
export interface NetworkDecl {
  name: string;
  /** The whole declaration; as a caret it underlines its first line (`network ResNet18 {`). */
  span: SourceSpan;
  nameSpan: SourceSpan;
  /** Statements in source order, params included. */
  statements: Statement[];
  /** A syntax error was reported inside this declaration; resolving it yields no ArchIR. */
  hasSyntaxErrors: boolean;
}

export interface PipelineDecl {
  name: string;
  steps: PipelineStep[];
  /** The whole declaration (first line as a caret). */
  span: SourceSpan;
  nameSpan: SourceSpan;
}

/** A value of a sweep setting; what each setting accepts is checked when the sweep is resolved. */
export type SweepValue =
  | { kind: 'number'; value: number; text: string; span: SourceSpan }
  | { kind: 'name'; name: string; span: SourceSpan }
  | { kind: 'string'; text: string; span: SourceSpan }
  | { kind: 'list'; items: SweepValue[]; span: SourceSpan };

/** One value of an axis: the expression, and its text as `--set` would take it (no spaces). */
export interface SweepAxisValue {
  text: string;
  value: Expr;
  span: SourceSpan;
}

/** `grid m = [2, 4]` or `list widths = [...]`. */
export interface SweepAxisStmt {
  kind: 'axis';
  mode: 'grid' | 'list';
  span: SourceSpan;
  keyword: SourceSpan;
  param?: Name;
  values?: SweepAxisValue[];
}

/** `epochs 2`, `network HRN`, `data "..."`, ... */
export interface SweepSettingStmt {
  kind: 'setting';
  span: SourceSpan;
  name: Name;
  value?: SweepValue;
}

/** `uniform(0.01, 0.3)`: a distribution's name and its arguments, each an expression as written. */
export interface SampleDistribution {
  kind: 'distribution';
  name: Name;
  args: SweepAxisValue[];
  span: SourceSpan;
}

/** An entry of a sampled list that is not drawn (the `6` of `[int(2, 6), 6, 2]`). */
export interface SampleFixed extends SweepAxisValue {
  kind: 'fixed';
}

/** What a `sample` line draws from: a distribution, or a list of entries drawn one by one. */
export type SampleValue = SampleDistribution | { kind: 'entries'; items: Array<SampleDistribution | SampleFixed>; span: SourceSpan };

/** `sample lr = loguniform(0.01, 0.3)` (in a sweep block), or `--sample lr=loguniform(0.01,0.3)`. */
export interface SweepSampleStmt {
  kind: 'sample';
  span: SourceSpan;
  keyword: SourceSpan;
  param?: Name;
  value?: SampleValue;
}

export type SweepStmt = SweepAxisStmt | SweepSampleStmt | SweepSettingStmt;

/** A sweep declaration as written; src/sweep/from-source.ts turns it into a sweep spec. */
export interface SweepDecl {
  name: string;
  span: SourceSpan;
  nameSpan: SourceSpan;
  statements: SweepStmt[];
  /** A syntax error was reported inside this declaration. */
  hasSyntaxErrors: boolean;
}

export interface HrnFile {
  path: string;
  networks: NetworkDecl[];
  pipelines: PipelineDecl[];
  sweeps: SweepDecl[];
}

/** `--set NAME=VALUE`. */
export interface Override {
  name: string;
  /** The value as written (`[5,5,3]`), parsed with the expression grammar when resolved. */
  text: string;
  /** Where `text` starts in the override's origin (e.g. `<--set>`), and its length. */
  span: SourceSpan;
  /** Where the name was written; diagnostics about the name point here (else at `span`). */
  nameSpan?: SourceSpan;
  /** The parsed value, when the override came from `parseOverride`. */
  value?: Expr;
}
