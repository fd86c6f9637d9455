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
