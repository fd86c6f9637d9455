// Import rules for src/ (docs/architecture.md, "Import rules", says the same in words). Every
// module of src/ belongs to one layer; a layer imports only the layers below it, and the units of
// one layer do not import each other (except in the foundation). src/ops/ holds one folder per op,
// with one file per layer that defines a part of the op (graph.ts, kernels.ts, export.ts,
// reference.ts), and src/ops/ has one table per layer of the same name: each of those files
// belongs to that layer's unit (`ops` below), so an op's folder spans the layers without breaking
// them. No layer imports the tables: src/ops/index.ts, above them, hands each layer its table
// (src/util/op-table.ts), and `layers-import-no-op` keeps it so. `npm run deps` prints the check;
// test/imports.test.ts runs it in `npm test`, and test/fixtures/deps/ holds a module breaking each
// rule, to show that each one fires.

const { builtinModules } = require('node:module');

/**
 * The layers, lowest first. `name` is the rule that keeps the unit's imports down; `peers` lets
 * the units of the layer import each other.
 */
const LAYERS = [
  {
    peers: true,
    units: [
      { unit: 'util/', name: 'util-is-a-leaf', comment: 'util imports nothing of src/ above the foundation' },
      { unit: 'diagnostics.ts', name: 'diagnostics-is-a-leaf', comment: 'diagnostics import nothing of src/ above the foundation' },
      { unit: 'errors.ts', name: 'errors-is-a-leaf', comment: 'the user errors import nothing of src/ above the foundation' },
    ],
  },
  { units: [{ unit: 'ir/', ops: 'graph', name: 'ir-below-everything', comment: 'the IR types are shared by every stage and depend on none' }] },
  {
    units: [
      { unit: 'parser/', name: 'parser-produces-ir', comment: 'the front end knows only the IR' },
      { unit: 'passes/', name: 'passes-on-ir', comment: 'passes transform the IR; they do not know where it came from or where it goes' },
      { unit: 'weights/', name: 'weights-on-graph', comment: 'weights are named by the layer graph' },
      { unit: 'data/', name: 'data-standalone', comment: 'data loading knows nothing of the compiler' },
    ],
  },
  { units: [{ unit: 'program/', name: 'program-below-codegen', comment: 'the program is what codegen produces and the runtime runs: types and weight transforms on the graph and weights' }] },
  {
    units: [
      // Of the passes, codegen uses only the runner the graph and training passes share.
      { unit: 'codegen/', ops: 'kernels', name: 'codegen-below-launch', comment: 'plans and WGSL are built from the layer graph only', also: ['passes/(?!framework\\.ts$)'] },
      // Beside codegen, so that it can never import a planner: it runs programs.
      { unit: 'runtime/', name: 'runtime-runs-programs', comment: 'the runtime only moves buffers and runs programs; it never compiles', also: ['parser/', 'passes/'] },
      { unit: 'export/', ops: 'export', name: 'export-on-graph', comment: 'exports read the layer graph and the weights only' },
      { unit: 'onnx/', name: 'onnx-on-ir', comment: "counting an ONNX file needs the IR's cost model only" },
    ],
  },
  // Hands each layer its table of the ops' definitions: above every layer an op's folder spans.
  { units: [{ unit: 'ops/index.ts', name: 'ops-handed-over-from-above', comment: "the layers look ops up by name; only what starts a program imports the ops' folders" }] },
  { units: [{ unit: 'launch/', name: 'launch-below-train', comment: 'compiling for a device and handing the program to the runtime (and tuning, which does both)', also: ['parser/', 'passes/'] }] },
  { units: [{ unit: 'train/', name: 'train-below-driver', comment: 'training runs plans on data', also: ['parser/', 'passes/'] }] },
  { units: [{ unit: 'reference/', ops: 'reference', name: 'reference-below-driver', comment: 'the test oracle computes from the layer graph and the weights' }] },
  { units: [{ unit: 'driver.ts', name: 'driver-below-commands', comment: 'the driver compiles; running and data are for the commands', also: ['runtime/', 'launch/', 'train/', 'data/', 'export/'] }] },
  { units: [{ unit: 'source-file.ts', name: 'source-file-below-commands', comment: 'reading a .hrn file is the driver in Node' }] },
  {
    units: [
      { unit: 'sweep/', name: 'sweep-below-cli', comment: 'sweeps train runs through the driver and the training loop' },
      { unit: 'design/', name: 'design-below-cli', comment: 'designs count candidate networks through the driver; they train nothing' },
      { unit: 'lsp/', name: 'lsp-below-cli', comment: 'the language server reads text through the driver; what reaches Node (stdio, the sweep check) the command hands it' },
    ],
  },
  { units: [{ unit: 'report/', name: 'report-below-cli', comment: "reports read a sweep's results" }] },
  { units: [{ unit: 'index.ts', name: 'index-below-node', comment: "the browser-safe package entry; node.ts extends it" }] },
  {
    units: [
      { unit: 'node.ts', name: 'node-entry-on-top', comment: "the package's Node entry is not the command line" },
      { unit: 'cli/', name: 'cli-on-top', comment: 'the command line is a program of its own, not a part of the package entries' },
    ],
  },
];

/** A unit's modules: its folder or file, and its part of src/ops/ (each op's file, or folder of that name, and the table). */
const opsPath = (files) => `src/ops/${files}\\.ts$|src/ops/[a-z]+/${files}(\\.ts$|/)`;
const folderPath = (unit) => (unit.endsWith('/') ? `src/${unit}` : `src/${unit.replace(/\./g, '\\.')}$`);
const unitPath = ({ unit, ops }) => `${folderPath(unit)}${ops ? `|${opsPath(ops)}` : ''}`;
const ALL_UNITS = LAYERS.flatMap((l) => l.units);
/** The test oracle: src/reference/ and each op's reference. */
const REFERENCE = unitPath(ALL_UNITS.find((u) => u.unit === 'reference/'));
/** Every module that has a layer (one pattern for src/ops/, to keep the expression simple enough for the tool). */
const LAYERED = [...ALL_UNITS.map((u) => folderPath(u.unit)), opsPath(`(${ALL_UNITS.filter((u) => u.ops).map((u) => u.ops).join('|')})`)];

/** One rule per unit: nothing from a higher layer, nor (unless `peers`) from the rest of its own. */
function layerRules() {
  return LAYERS.flatMap((layer, i) =>
    layer.units.map((u) => {
      const { name, comment, also = [] } = u;
      const above = LAYERS.slice(i + 1).flatMap((l) => l.units);
      const peers = layer.peers ? [] : layer.units.filter((p) => p !== u);
      const forbidden = [...above, ...peers].map(unitPath).concat(also.map((a) => `src/${a}`));
      return { name, comment, severity: 'error', from: { path: `^(${unitPath(u)})` }, to: { path: `^(${forbidden.join('|')})` } };
    }),
  ).filter((rule) => rule.to.path !== '^()');
}

// The browser-safe core: what the playground page (web/) runs, and the language server's logic
// (src/lsp/). Its Node hosts read files, open Dawn or measure process time; the core reaches them
// only through interfaces (a TemplateSource, a GPUAdapter, the server's SweepSupport) that the CLI
// and the page fill in.
const CORE = '^src/(parser|ir|passes|program|codegen|runtime|launch|weights|util|lsp)/|^src/(diagnostics|errors|driver|index)\\.ts$|^src/ops/(graph|kernels|index)\\.ts$|^src/ops/[a-z]+/(graph|kernels)(\\.ts$|/)';
const NODE_HOSTS = [
  'parser/diagrams\\.ts',
  'codegen/(template-files|write|index)\\.ts',
  'runtime/(device|adapters|index)\\.ts',
  'weights/(safetensors|index)\\.ts',
  'util/(durable-fs|output-dir|output-file|dir-lock)\\.ts',
];
const NODE_HOST = `^src/(${NODE_HOSTS.join('|')})$`;
// Node's built-in modules as depcruise names them (`fs`, `node:fs`, `fs/promises`), and Dawn.
const BUILTINS = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/.]/g, '\\$&'));
// The language server library's Node transport (its `/node` entry, which depcruise leaves
// unresolved: the entry has only a `node` condition) is the command's to open.
const NODE_ONLY = `^(node:.*|(${BUILTINS.join('|')}))$|node_modules/webgpu/|^vscode-languageserver/node$|node_modules/vscode-languageserver/lib/node/`;

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'modules must not import each other, directly or through others', from: {}, to: { circular: true } },
    {
      name: 'every-module-in-a-layer',
      severity: 'error',
      comment: 'each module of src/ belongs to a layer of LAYERS: a new folder or top-level file must be given its place',
      from: { path: '^src/', pathNot: `^(${LAYERED.join('|')})` },
      to: {},
    },
    ...layerRules(),
    {
      name: 'layers-import-no-op',
      severity: 'error',
      comment: "a layer looks an op up in the table src/ops/index.ts hands it (which only what starts a program imports); importing an op's folder or a table of src/ops/ would tie the layer to the ops",
      from: { path: '^src/', pathNot: '^src/ops/' },
      to: { path: '^src/ops/', pathNot: '^src/ops/index\\.ts$' },
    },
    {
      name: 'nothing-below-imports-cli',
      severity: 'error',
      comment: 'the command line is the top: what a lower layer needs from it (errors, data opening, option tables) belongs below both',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'commands-through-the-driver',
      severity: 'error',
      comment: 'commands run the passes, lower and plan through src/driver.ts, never on their own',
      from: { path: '^src/(cli|sweep|report|design)/' },
      to: { dependencyTypesNot: ['type-only'], path: '^src/(passes/manager|ir/lower|codegen/(plan|train-plan|index))\\.ts$' },
    },
    {
      name: 'reference-is-for-tests',
      severity: 'error',
      comment: "src/reference and the ops' reference.ts are the test oracle: nothing else in src/ may depend on them",
      from: { path: '^src/', pathNot: `^(${REFERENCE})` },
      to: { path: `^(${REFERENCE})` },
    },
    {
      name: 'core-reaches-no-node',
      severity: 'error',
      comment:
        'the core runs in a browser: it reaches no Node built-in module, no Dawn and no Node host, however indirectly ' +
        '(put what needs them behind an interface in a Node host)',
      from: { path: CORE, pathNot: NODE_HOST },
      to: { path: `${NODE_ONLY}|${NODE_HOST}`, reachable: true },
    },
    {
      name: 'public-api-on-top',
      severity: 'error',
      comment: 'src/index.ts and src/node.ts are the package entries: nothing in src/ imports them (node.ts extends index.ts)',
      from: { path: '^src/', pathNot: '^src/node\\.ts$' },
      to: { path: '^src/(index|node)\\.ts$' },
    },
    {
      name: 'src-not-to-test',
      severity: 'error',
      comment: 'tests depend on src/, never the other way',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
