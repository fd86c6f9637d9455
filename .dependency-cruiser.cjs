// Import rules for src/: imports point one way along the compiler,
//   text -> AST (parser) -> arch IR (ir) -> passes -> layer graph (ir) -> graph passes, plan, WGSL
//   (codegen) -> runtime -> train -> driver -> cli,
// with util/ and diagnostics.ts at the bottom, and the test oracle (reference/) used by tests only.
// `npm run deps` prints the check; test/imports.test.ts runs it in `npm test`.

/** A rule forbidding `from` to import any of `to` (folders or files under src/). */
function layer(name, from, to, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^src/${from}` },
    // The stage runner (passes/stages.ts) is the pass machinery every level shares.
    to: { path: `^src/(${to.join('|')})`, pathNot: '^src/passes/stages\\.ts$' },
  };
}

// The browser-safe core: what the playground page (web/) runs. Its Node hosts read files, open Dawn
// or measure process time; the core reaches them only through interfaces (a TemplateSource, a
// GPUAdapter) that the CLI and the page fill in.
const CORE = '^src/(parser|ir|passes|codegen|runtime|weights|util)/|^src/(diagnostics|driver|index)\\.ts$';
const NODE_HOSTS = [
  'parser/diagrams\\.ts',
  'codegen/(template-files|write|index)\\.ts',
  'runtime/(device|adapters|bench|index)\\.ts',
  'weights/(safetensors|index)\\.ts',
  'util/(durable-fs|output-dir|output-file|dir-lock)\\.ts',
];
const NODE_HOST = `^src/(${NODE_HOSTS.join('|')})$`;

const ABOVE_IR = ['parser/', 'passes/', 'codegen/', 'runtime/', 'train/', 'data/', 'weights/', 'cli/', 'driver\\.ts'];

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'modules must not import each other, directly or through others', from: {}, to: { circular: true } },
    {
      name: 'reference-is-for-tests',
      severity: 'error',
      comment: 'src/reference is the test oracle: nothing else in src/ may depend on it',
      from: { path: '^src/', pathNot: '^src/reference/' },
      to: { path: '^src/reference/' },
    },
    layer('util-is-a-leaf', '(util/|diagnostics\\.ts)', ['ir/', ...ABOVE_IR], 'util and diagnostics import nothing else of src/'),
    layer('ir-below-everything', 'ir/', ABOVE_IR, 'the IR types are shared by every stage and depend on none'),
    layer('parser-produces-ir', 'parser/', ['passes/', 'codegen/', 'runtime/', 'train/', 'data/', 'weights/', 'cli/', 'driver\\.ts'], 'the front end knows only the IR'),
    layer('passes-on-ir', 'passes/', ['parser/', 'codegen/', 'runtime/', 'train/', 'data/', 'weights/', 'cli/', 'driver\\.ts'], 'passes transform the IR; they do not know where it came from or where it goes'),
    layer('weights-on-graph', 'weights/', ['parser/', 'passes/', 'codegen/', 'runtime/', 'train/', 'data/', 'cli/', 'driver\\.ts'], 'weights are named by the layer graph'),
    layer('data-standalone', 'data/', ['parser/', 'passes/', 'codegen/', 'runtime/', 'train/', 'weights/', 'cli/', 'driver\\.ts'], 'data loading knows nothing of the compiler'),
    layer('codegen-below-runtime', 'codegen/', ['parser/', 'passes/', 'runtime/', 'train/', 'data/', 'cli/', 'driver\\.ts'], 'plans and WGSL are built from the layer graph only'),
    layer('runtime-below-train', 'runtime/', ['parser/', 'passes/', 'train/', 'data/', 'cli/', 'driver\\.ts'], 'the runtime only moves buffers and runs plans'),
    layer('train-below-driver', 'train/', ['parser/', 'passes/', 'cli/', 'driver\\.ts'], 'training runs plans on data'),
    layer('driver-below-cli', 'driver\\.ts', ['cli/'], 'the driver is what every command calls'),
    {
      name: 'core-is-browser-safe',
      severity: 'error',
      comment: 'the core runs in a browser: no Node built-in modules and no Dawn (put them behind an interface in a Node host)',
      from: { path: CORE, pathNot: NODE_HOST },
      to: { dependencyTypesNot: ['type-only'], path: '^(node:|fs$|path$|os$|url$|zlib$|crypto$|module$|child_process$)|node_modules/webgpu/' },
    },
    {
      name: 'core-not-on-node-hosts',
      severity: 'error',
      comment: 'the browser-safe core does not import the Node hosts (they import it)',
      from: { path: CORE, pathNot: NODE_HOST },
      to: { dependencyTypesNot: ['type-only'], path: NODE_HOST },
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
