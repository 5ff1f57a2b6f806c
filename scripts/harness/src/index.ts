export * from './browser.js';
export * from './env.js';
export * from './eventually.js';
export * from './kafka.js';
export * from './kube.js';
export * from './paths.js';
export * from './processes.js';
export * from './prometheus.js';
