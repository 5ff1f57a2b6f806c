export * from './aggregator.js';
export * from './candle.js';
export * from './interval.js';
