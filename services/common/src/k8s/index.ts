export * from './work-queue.js';
export * from './informer.js';
export * from './conditions.js';
export * from './apply.js';
export * from './leader-election.js';
export * from './owner.js';
