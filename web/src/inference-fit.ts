// What the inference panel tells the user before it runs anything: how the sample images are fitted
// to the network (a CIFAR-shaped network on grey 28x28 images is not obvious), whether the loaded
// weights fit the network in the editor, and how many images a run will really classify.
import type { ArchIR, Shape } from '../../src/ir/arch.js';
import type { LayerGraph } from '../../src/ir/graph.js';
import { imageFitter } from '../../src/data/transform.js';
import { checkWeights } from '../../src/weights/weights.js';
import type { LoadedWeights } from './inference.js';
import { int, plural } from './text.js';

/** The sample the page ships, as the notes name it. */
export interface SampleInfo {
  /** `Fashion-MNIST` */
  title: string;
  shape: Shape;
  classes: number;
  count: number;
}

export interface Note {
  ok: boolean;
  text: string;
}

const shapeText = (s: Shape) => `${s.c}x${s.h}x${s.w}`;

/** How the sample's images and labels meet the network's input and outputs, or why they cannot. */
export function dataFitNote(net: ArchIR, data: SampleInfo): Note {
  const { input } = net;
  try {
    imageFitter(data.shape, input, 'pad', `${data.title} (${shapeText(data.shape)})`);
  } catch (e) {
    return { ok: false, text: `${net.name} cannot run on the ${data.title} sample: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (net.classes < data.classes) {
    return { ok: false, text: `${net.name} has ${plural(net.classes, 'class')}, fewer than ${data.title}'s ${data.classes}: its outputs cannot stand for every label` };
  }
  const steps: string[] = [];
  if (input.h !== data.shape.h || input.w !== data.shape.w) steps.push(`each ${data.shape.h}x${data.shape.w} image is padded with black to ${input.h}x${input.w} (centred)`);
  if (input.c !== data.shape.c) steps.push(`its grey channel is copied into all ${input.c} channels`);
  if (net.classes > data.classes) {
    steps.push(`outputs ${data.classes}-${net.classes - 1} stand for no ${data.title} class (a prediction there counts as wrong)`);
  }
  if (steps.length === 0) return { ok: true, text: `${net.name} takes ${shapeText(input)} images in ${data.classes} classes, as the ${data.title} sample has them.` };
  return {
    ok: true,
    text:
      `${net.name} takes ${shapeText(input)} images and has ${plural(net.classes, 'class')}; the sample is ${data.title}: ` +
      `${shapeText(data.shape)} grey images in ${data.classes} classes. So ${steps.join('; ')}. hrn train and hrn infer fit ${data.title} the same way.`,
  };
}

/** Whether `w` fits the network lowered to `graph`; the text is the panel's status either way. */
export function weightsFit(graph: LayerGraph, w: LoadedWeights): Note {
  const trainedAs = w.network?.source ? `${w.network.source}${(w.network.set ?? []).length > 0 ? ` --set ${(w.network.set ?? []).join(' ')}` : ''}` : undefined;
  try {
    checkWeights(graph, w.weights, w.name);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { ok: false, text: `${why}. ${trainedAs ? `They were trained as ${trainedAs}: choose that example and --set to run them.` : 'Choose the network they were trained as to run them.'}` };
  }
  return { ok: true, text: `weights: ${w.name} (${plural(w.weights.size, 'tensor')})${trainedAs ? `, trained as ${trainedAs}` : ''}; they fit ${graph.name}` };
}

export type ImageCount = { images: number; clamped?: string } | { error: string };

/** The images a run classifies for the count typed in; more than the sample holds runs all of it, and says so. */
export function imagesToRun(asked: string, data: SampleInfo): ImageCount {
  const n = Number(asked);
  if (asked.trim() === '' || !Number.isInteger(n) || n < 1) return { error: `images: '${asked}' is not a whole number from 1 to ${int(data.count)}` };
  if (n <= data.count) return { images: n };
  return {
    images: data.count,
    clamped: `Ran ${plural(data.count, 'image')}, not the ${int(n)} asked for: the page ships only the first ${int(data.count)} ${data.title} test images (web/sample-data.mjs copies them at build time).`,
  };
}
