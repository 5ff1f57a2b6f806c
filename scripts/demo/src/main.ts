import { runDemo } from './demo.js';

// kafkajs's harmless TimeoutNegativeWarning on Node ≥ 23 (see logProcessWarnings) is not news for the person watching.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') process.stderr.write(`[demo] ${w.name}: ${w.message}\n`);
});

runDemo().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[demo] ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
