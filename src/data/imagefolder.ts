// Image-folder data sets of JPEG files, TinyImageNet's layout among them:
//
//   DIR/wnids.txt                      optional: the class ids in label order
//   DIR/train/CLASS/images/*.JPEG      TinyImageNet (or DIR/train/CLASS/*.jpg, torchvision's ImageFolder)
//   DIR/val/images/*.JPEG + DIR/val/val_annotations.txt   (file <TAB> class <TAB> box...)
//   DIR/val/CLASS/*.jpg                the ImageFolder alternative; `test/` is accepted in place of `val/`
//
// Classes are wnids.txt's order when it exists, otherwise the sorted names of train/'s
// subdirectories (as torchvision does). Labels are Int32Array. JPEGs decode through jpeg-js to RGB
// (grayscale JPEGs come back with the gray value in all three channels); images whose size differs
// from the set's size are resized bilinearly.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import type { Shape } from '../ir/arch.js';
import type { Dataset, Split } from './dataset.js';
import { DataError } from './errors.js';
import { isDirectory, readBytes, requireDirectory } from './files.js';
import { imageFitter } from './transform.js';

const IMAGE_EXT = /\.(jpe?g)$/i;

export interface ImageFolderOptions {
  /** Output size; default: the size of the first image read. */
  size?: { h: number; w: number };
  /** At most this many images per class (for quick runs); default all. */
  maxPerClass?: number;
  /** Set name for messages; default `imagefolder`. */
  name?: string;
}

interface Entry {
  file: string;
  label: number;
}

function listImages(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => IMAGE_EXT.test(f))
    .sort()
    .map((f) => join(dir, f));
}

function classList(root: string, trainDir: string): string[] {
  const wnids = join(root, 'wnids.txt');
  if (existsSync(wnids)) {
    const names = readFileSync(wnids, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
    if (names.length === 0) throw new DataError(wnids, 'no class ids in the file');
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new DataError(wnids, `class ${dup} listed twice`);
    return names;
  }
  const dirs = readdirSync(trainDir).filter((d) => isDirectory(join(trainDir, d))).sort();
  if (dirs.length === 0) throw new DataError(trainDir, 'no class directories (expected train/CLASS/... )');
  return dirs;
}

function classFolderEntries(dir: string, classes: string[], maxPerClass: number): Entry[] {
  const out: Entry[] = [];
  classes.forEach((cls, label) => {
    const cdir = join(dir, cls);
    if (!isDirectory(cdir)) throw new DataError(cdir, `missing class directory for class ${cls} (label ${label})`);
    const imgDir = isDirectory(join(cdir, 'images')) ? join(cdir, 'images') : cdir;
    const files = listImages(imgDir).slice(0, maxPerClass);
    for (const file of files) out.push({ file, label });
  });
  return out;
}

function annotatedEntries(valDir: string, classes: string[], maxPerClass: number): Entry[] {
  const ann = join(valDir, 'val_annotations.txt');
  const index = new Map(classes.map((c, i) => [c, i]));
  const perClass = new Array<number>(classes.length).fill(0);
  const out: Entry[] = [];
  readFileSync(ann, 'utf8').split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const [file, cls] = line.split('\t');
    if (!file || !cls) throw new DataError(ann, `line ${i + 1}: expected "FILE<TAB>CLASS...", got ${JSON.stringify(line.slice(0, 60))}`);
    const label = index.get(cls);
    if (label === undefined) throw new DataError(ann, `line ${i + 1}: class ${cls} is not among the ${classes.length} training classes`);
    if (perClass[label] >= maxPerClass) return;
    perClass[label]++;
    out.push({ file: join(valDir, 'images', file), label });
  });
  return out;
}

/** Decodes a JPEG to 3 x H x W floats in [0, 1]. */
export function decodeJpeg(file: string, bytes: Uint8Array = readBytes(file)): { shape: Shape; data: Float32Array } {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxMemoryUsageInMB: 512 });
  } catch (e) {
    throw new DataError(file, `not a readable JPEG: ${(e as Error).message}`);
  }
  const { width: w, height: h } = img;
  if (!(w > 0 && h > 0) || img.data.length < w * h * 4) throw new DataError(file, `not a readable JPEG: decoded to ${w}x${h} with ${img.data.length} bytes`);
  const plane = w * h;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    data[i] = img.data[4 * i] / 255;
    data[plane + i] = img.data[4 * i + 1] / 255;
    data[2 * plane + i] = img.data[4 * i + 2] / 255;
  }
  return { shape: { c: 3, h, w }, data };
}

/** Reads one split of an image-folder data set (`test` reads `val/`, or `test/` when there is no `val/`). */
export function readImageFolder(root: string, split: Split, o: ImageFolderOptions = {}): Dataset {
  requireDirectory(root, 'image-folder data set');
  const trainDir = join(root, 'train');
  if (!isDirectory(trainDir)) {
    throw new DataError(trainDir, 'missing train directory: an image-folder data set holds train/CLASS/images/*.JPEG (or train/CLASS/*.jpg) and val/');
  }
  const classes = classList(root, trainDir);
  const max = o.maxPerClass ?? Infinity;
  let entries: Entry[];
  if (split === 'train') {
    entries = classFolderEntries(trainDir, classes, max);
  } else {
    const valDir = [join(root, 'val'), join(root, 'test')].find((d) => isDirectory(d));
    if (!valDir) throw new DataError(join(root, 'val'), 'missing validation directory (val/ or test/)');
    entries = existsSync(join(valDir, 'val_annotations.txt'))
      ? annotatedEntries(valDir, classes, max)
      : classFolderEntries(valDir, classes, max);
  }
  const where = split === 'train' ? trainDir : root;
  if (entries.length === 0) throw new DataError(where, `no JPEG images found for the ${split} split`);

  let shape: Shape | undefined = o.size ? { c: 3, h: o.size.h, w: o.size.w } : undefined;
  let images = new Float32Array(0);
  const labels = new Int32Array(entries.length);
  entries.forEach((e, i) => {
    const img = decodeJpeg(e.file);
    if (!shape) shape = { ...img.shape };
    if (i === 0) images = new Float32Array(entries.length * 3 * shape.h * shape.w);
    const size = 3 * shape.h * shape.w;
    imageFitter(img.shape, shape, 'resize', e.file)(img.data, 0, images, i * size);
    labels[i] = e.label;
  });
  return {
    name: `${o.name ?? 'imagefolder'}/${split}`,
    images,
    labels,
    shape: shape!,
    classes: classes.length,
    classNames: classes,
  };
}
