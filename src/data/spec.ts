// `--data KIND:DIR` on the command line: which reader, which directory.

import type { Dataset, Split } from './dataset.js';
import { DataError } from './errors.js';
import { readCifar10, readCifar100 } from './cifar.js';
import { FASHION_MNIST_CLASSES, readIdxDataset } from './idx.js';
import { readImageFolder, type ImageFolderOptions } from './imagefolder.js';

export const DATA_KINDS = ['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'imagefolder'] as const;
export type DataKind = (typeof DATA_KINDS)[number];

const DESCRIPTIONS: Record<DataKind, string> = {
  'fashion-mnist': 'IDX files (train-images-idx3-ubyte[.gz], ...)',
  mnist: 'IDX files (train-images-idx3-ubyte[.gz], ...)',
  cifar10: 'CIFAR-10 binary (data_batch_1..5.bin, test_batch.bin)',
  cifar100: 'CIFAR-100 binary (train.bin, test.bin)',
  imagefolder: 'JPEG folders, TinyImageNet layout (train/CLASS/images/*.JPEG, val/)',
};

export interface DataSpec {
  kind: DataKind;
  dir: string;
  /** The text as given, for messages. */
  text: string;
}

/** The accepted forms, one per line, for help texts. */
export function dataSpecHelp(): string {
  return DATA_KINDS.map((k) => `  ${`${k}:DIR`.padEnd(18)} ${DESCRIPTIONS[k]}`).join('\n');
}

/** Parses `KIND:DIR`; throws a DataError naming the accepted kinds. */
export function parseDataSpec(text: string): DataSpec {
  const colon = text.indexOf(':');
  if (colon <= 0) {
    throw new DataError(text, `a data set is written KIND:DIR, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist; KIND is one of ${DATA_KINDS.join(', ')}`);
  }
  const kind = text.slice(0, colon).toLowerCase();
  const dir = text.slice(colon + 1);
  if (!(DATA_KINDS as readonly string[]).includes(kind)) {
    throw new DataError(text, `unknown data set kind '${text.slice(0, colon)}'; known kinds:\n${dataSpecHelp()}`);
  }
  if (dir === '') throw new DataError(text, `no directory after '${kind}:'`);
  return { kind: kind as DataKind, dir, text };
}

export interface LoadOptions {
  /** CIFAR-100: fine (default) or coarse labels. */
  cifar100Labels?: 'fine' | 'coarse';
  imagefolder?: ImageFolderOptions;
}

/** Reads one split of the data set a spec names; pixels in [0, 1]. */
export function loadSplit(spec: DataSpec | string, split: Split, o: LoadOptions = {}): Dataset {
  const s = typeof spec === 'string' ? parseDataSpec(spec) : spec;
  switch (s.kind) {
    case 'fashion-mnist':
      return readIdxDataset(s.dir, split, { name: 'fashion-mnist', classes: 10, classNames: FASHION_MNIST_CLASSES });
    case 'mnist':
      return readIdxDataset(s.dir, split, { name: 'mnist', classes: 10, classNames: Array.from({ length: 10 }, (_, i) => String(i)) });
    case 'cifar10':
      return readCifar10(s.dir, split);
    case 'cifar100':
      return readCifar100(s.dir, split, { labels: o.cifar100Labels });
    case 'imagefolder':
      return readImageFolder(s.dir, split, { name: 'imagefolder', ...o.imagefolder });
  }
}
