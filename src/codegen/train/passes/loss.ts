// Training pass `loss`: the labels, teacher-logits, running-sums and hyper-parameter buffers, and
// the loss kernel, which adds the batch's loss to the running sums and writes the logits gradient
// the backward half starts from.

import type { GraphPass } from '../../../passes/framework.js';
import { genLoss, LOSS_SUMS } from '../../kernels/index.js';
import { need } from '../../graph/state.js';
import { fork, type TrainState } from '../state.js';

export const lossPass: GraphPass<TrainState> = {
  name: 'loss',
  summary: 'emit the loss and its gradient with respect to the logits',
  run(state) {
    const { graph, train } = state;
    const { b, fwd, grads } = fork(state, 'loss');
    need(state, 'store', 'loss');
    const classes = graph.classes;
    const labels = b.addBuffer('labels', 'labels', b.batch * 4);
    const teacher = train.loss.kind !== 'ce' ? b.addBuffer('teacher-logits', 'teacher', b.batch * classes * 4) : undefined;
    const sums = b.addBuffer('loss-sums', 'sums', LOSS_SUMS.length * 4);
    const uniform = b.addBuffer('hyper', 'uniform', 16);
    if (!grads.needed[graph.output]) throw new Error(`compileTrainPlan: ${graph.name} has no trainable parameters`);
    const dlogits = grads.target(graph.output);
    if (dlogits.offset !== 0 || dlogits.batchStride !== classes) throw new Error('compileTrainPlan: the logits gradient must be dense (internal error)');
    const io = { labels, teacher, sums, uniform };
    b.emit('loss', 'loss', genLoss('loss', b.batch, classes, train.loss, { logits: fwd.view(graph.output), ...io, dlogits: dlogits.buffer }, b.dl));
    return { ...state, builder: b, fwd, grads, loss: io };
  },
};
