// What the page bundles from the repository at build time: hrn's kernel templates (kernels/, the
// same files the CLI reads) and the example networks (examples/).
import { setTemplateSource, tableTemplateSource } from '../../src/codegen/template.js';

const kernelFiles = import.meta.glob('../../kernels/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const exampleFiles = import.meta.glob('../../examples/*.hrn', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** `../../kernels/lib/packed_conv.wgsl` -> `lib/packed_conv`. */
const templateName = (path: string) => path.replace(/^.*?\/kernels\//, '').replace(/\.wgsl$/, '');

/** Makes the bundled templates hrn's template source. */
export function useBundledTemplates(): void {
  setTemplateSource(tableTemplateSource(new Map(Object.entries(kernelFiles).map(([p, text]) => [templateName(p), text])), 'the kernels bundled with the page'));
}

/** The example networks by file name (`hrn-2x5x3x.hrn`), sorted. */
export const EXAMPLES: ReadonlyMap<string, string> = new Map(
  Object.entries(exampleFiles)
    .map(([p, text]) => [p.replace(/^.*\//, ''), text] as [string, string])
    .sort(([a], [b]) => a.localeCompare(b)),
);
