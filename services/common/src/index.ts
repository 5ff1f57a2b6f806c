export * from './avro.js';
export * from './backoff.js';
export * from './config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './ops-server.js';
export * from './shutdown.js';
export * from './finnhub/protocol.js';
