// The options hrn train and hrn sweep share: the data set and the settings every training run
// takes, with the defaults both start from (TRAIN_DEFAULTS, src/train/settings.ts).

import { TRAIN_DEFAULTS } from '../train/settings.js';
import { UsageError } from '../errors.js';
import { stringOption, type OptionSpec, type ParsedCommand } from './args.js';
import { dataOption } from './command.js';

export const TRAINING_OPTIONS: Record<string, OptionSpec> = {
  ...dataOption('training data'),
  epochs: { type: 'string', value: 'E', help: `epochs (default ${TRAIN_DEFAULTS.epochs})` },
  batch: { type: 'string', value: 'B', help: `images per step (default ${TRAIN_DEFAULTS.batch})` },
  lr: { type: 'string', value: 'LR', help: `initial learning rate, cosine-annealed per step (default ${TRAIN_DEFAULTS.lr})` },
  momentum: { type: 'string', value: 'M', help: `SGD momentum (default ${TRAIN_DEFAULTS.momentum})` },
  'weight-decay': { type: 'string', value: 'WD', help: `L2 weight decay (default ${TRAIN_DEFAULTS.weightDecay})` },
  subset: { type: 'string', value: 'N', help: 'train on N training images (stratified over the classes)' },
  'test-subset': { type: 'string', value: 'N', help: 'evaluate on the first N test images' },
  'val-split': { type: 'string', value: 'F', help: 'hold out the fraction F of the training images as a validation set (stratified by class, chosen by the seed), evaluated each epoch' },
  'no-augment': { type: 'boolean', help: 'no random crop / flip' },
  fit: { type: 'string', value: 'pad|resize', help: 'how images are fitted to the network input (default pad)' },
};

/** --val-split as a fraction strictly between 0 and 1, or undefined when it is not given; `command` names the command in the message. */
export function valSplitOption(p: ParsedCommand, command: string): number | undefined {
  const v = stringOption(p, 'val-split');
  if (v === undefined) return undefined;
  const f = Number(v);
  if (v.trim() === '' || !(f > 0 && f < 1)) throw new UsageError(`${command}: --val-split: expected a fraction between 0 and 1 (such as 0.1), got '${v}'`);
  return f;
}
