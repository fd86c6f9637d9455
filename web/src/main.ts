// The playground page: wires the editor, the inputs and the views to hrn's compiler and runtime.
import type { Diagnostic } from '../../src/diagnostics.js';
import { EXAMPLES, useBundledTemplates } from './bundled.js';
import { compileSource, equalizedFamily, SOURCE_NAME, type CompileResult } from './compile.js';
import { createEditor } from './editor.js';
import { INFER_BATCH, inferencePanel } from './inference-panel.js';
import type { BrowserGpu } from './inference.js';
import { openBrowserGpu } from './inference.js';
import { plural } from './text.js';
import { el, familyView, kernelView, passView, reluChart, statsTable } from './views.js';

useBundledTemplates();

const DEFAULT_EXAMPLE = 'hrn-2x5x3x.hrn';
const DEFAULT_SET = 'm=2';
/** The batch the kernels are planned for: the one inference runs with. */
const BATCH = INFER_BATCH;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface PageState {
  result?: CompileResult;
  gpu?: BrowserGpu;
  pass: number;
  diff: boolean;
  selected: number;
}
const state: PageState = { pass: 0, diff: true, selected: 0 };

const setInput = $<HTMLTextAreaElement>('set');
const pipelineInput = $<HTMLInputElement>('pipeline');
const memberSelect = $<HTMLSelectElement>('member');

function overrides(): string[] {
  return setInput.value
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function renderPasses(): void {
  const r = state.result;
  if (!r?.ok) return;
  $('passes').replaceChildren(
    passView(r.value.passes, state.pass, state.diff, (i) => {
      state.pass = i;
      renderPasses();
    }),
  );
}

function render(r: CompileResult): void {
  const status = $('status');
  if (!r.ok) {
    status.className = 'status error';
    status.textContent = r.message;
    document.body.dataset.compile = 'error';
    return;
  }
  const v = r.value;
  status.className = v.warnings.length > 0 ? 'status warning' : 'status ok';
  status.textContent = v.warnings.length > 0 ? v.warnings.map((d) => `${d.span.file}:${d.span.line}:${d.span.col}: ${d.severity}: ${d.message}`).join('\n') : `ok: ${plural(v.family.length, 'network')}; ${plural(v.plan.kernels.length, 'kernel')}, ${plural(v.plan.dispatches.length, 'dispatch')} per batch of ${v.plan.batch}`;
  memberSelect.replaceChildren(...v.family.map((n, i) => el('option', i === v.selected ? { value: String(i), selected: '' } : { value: String(i) }, n.name)));
  const s = v.stats[v.selected];
  $('stats').replaceChildren(el('h3', {}, `${s.network}: ${plural(s.relus.total, 'ReLU')}, input ${s.input}, ${plural(s.classes, 'class')}`), statsTable(s));
  $('chart').replaceChildren(reluChart(s));
  state.pass = Math.min(state.pass, v.passes.length - 1);
  renderPasses();
  $('kernels').replaceChildren(el('p', {}, `${plural(v.kernels.length, 'kernel')} for batch ${v.plan.batch}, ${v.plan.subgroupSize > 0 ? `subgroups of ${v.plan.subgroupSize}` : 'no subgroups'}`), kernelView(v.kernels));
  $('family').replaceChildren(familyView(equalizedFamily(v.family[v.selected])));
  inference.networkChanged();
  document.body.dataset.compile = 'ok';
}

const inference = inferencePanel($('panel-infer'), () => {
  const r = state.result;
  if (!r?.ok) return undefined;
  return { net: r.value.family[r.value.selected], graph: r.value.graph };
}, () => state.gpu);

/** The lint source: compiles everything and returns the editor's own diagnostics. */
function check(text: string): Diagnostic[] {
  const r = compileSource({ source: text, set: overrides(), pipeline: pipelineInput.value, selected: state.selected, batch: BATCH, subgroupSize: state.gpu?.ctx.subgroupSize ?? 0 });
  state.result = r;
  render(r);
  document.body.dataset.compiles = String(Number(document.body.dataset.compiles ?? '0') + 1);
  return r.ok ? r.value.warnings.filter((d) => d.span.file === SOURCE_NAME) : r.diagnostics.filter((d) => d.span.file === SOURCE_NAME);
}

const examples = $<HTMLSelectElement>('examples');
examples.append(...[...EXAMPLES.keys()].map((name) => el('option', name === DEFAULT_EXAMPLE ? { value: name, selected: '' } : { value: name }, name)));
setInput.value = DEFAULT_SET;
const editor = createEditor($('editor'), EXAMPLES.get(DEFAULT_EXAMPLE) ?? '', check);
window.hrnPlayground = { ...window.hrnPlayground, source: () => editor.text() };

examples.addEventListener('change', () => {
  setInput.value = examples.value === DEFAULT_EXAMPLE ? DEFAULT_SET : '';
  editor.setText(EXAMPLES.get(examples.value) ?? '');
});
for (const input of [setInput, pipelineInput]) input.addEventListener('input', () => editor.relint());
memberSelect.addEventListener('change', () => {
  state.selected = Number(memberSelect.value);
  editor.relint();
});
$<HTMLInputElement>('show-diff').addEventListener('change', (e) => {
  state.diff = (e.target as HTMLInputElement).checked;
  renderPasses();
});
for (const tab of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('.tabs button')) t.classList.toggle('active', t === tab);
    for (const p of document.querySelectorAll<HTMLElement>('.panel')) p.hidden = p.id !== `panel-${tab.dataset.panel}`;
  });
}

const gpuInfo = $('gpu');
openBrowserGpu().then(
  (gpu) => {
    state.gpu = gpu;
    gpuInfo.textContent = `WebGPU adapter: ${gpu.adapter}; subgroups ${gpu.ctx.subgroupSize > 0 ? `of ${gpu.ctx.subgroupSize}` : 'off'} (adapter: ${gpu.subgroupMinSize ?? '?'}..${gpu.subgroupMaxSize ?? '?'}); ${gpu.maxInvocationsPerWorkgroup} invocations per workgroup, ${gpu.maxWorkgroupStorageSize / 1024} KiB workgroup memory`;
    document.body.dataset.gpu = 'ready';
    editor.relint();
  },
  (e: unknown) => {
    gpuInfo.textContent = `No WebGPU: ${e instanceof Error ? e.message : String(e)}. Everything but inference still works.`;
    document.body.dataset.gpu = 'none';
  },
);
