import { parseArgs } from 'node:util';
import { createLogger, onShutdown } from '@tickerflow/common';
import { defaultSimOptions, loadReplay, startSim } from './index.js';

const usage = `usage: finnhub-sim [--port N] [--host H] [--token T] [--replay FILE] [--rate TRADES_PER_S] [--seed N]
                   [--symbol-limit N] [--invalid-symbols A,B] [--ping-interval SECONDS]
                   [--duplicate-connection drop-old|drop-both] [--max-trades-per-frame N] [--replay-quiet-ms MS] [--record]`;

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${JSON.stringify(value)}\n${usage}`);
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      replay: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      'symbol-limit': { type: 'string' },
      'invalid-symbols': { type: 'string' },
      'ping-interval': { type: 'string' },
      'duplicate-connection': { type: 'string', default: 'drop-old' },
      'max-trades-per-frame': { type: 'string' },
      'replay-quiet-ms': { type: 'string' },
      record: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const duplicate = values['duplicate-connection'];
  if (duplicate !== 'drop-old' && duplicate !== 'drop-both') throw new Error(`--duplicate-connection must be drop-old or drop-both\n${usage}`);
  const token = values.token ?? process.env.FINNHUB_TOKEN ?? 'sandbox';
  const replay = values.replay ? loadReplay(values.replay) : undefined;
  const running = await startSim({
    token,
    host: values.host,
    port: number('port', values.port, 0),
    replay,
    rate: number('rate', values.rate, replay ? 0 : defaultSimOptions.rate),
    seed: number('seed', values.seed, defaultSimOptions.seed),
    symbolLimit: number('symbol-limit', values['symbol-limit'], defaultSimOptions.symbolLimit),
    invalidSymbols: values['invalid-symbols'] === undefined ? defaultSimOptions.invalidSymbols : new Set(values['invalid-symbols'].split(',')),
    pingIntervalMs: number('ping-interval', values['ping-interval'], defaultSimOptions.pingIntervalMs / 1000) * 1000,
    duplicateConnection: duplicate,
    maxTradesPerFrame: number('max-trades-per-frame', values['max-trades-per-frame'], defaultSimOptions.maxTradesPerFrame),
    replayQuietMs: number('replay-quiet-ms', values['replay-quiet-ms'], defaultSimOptions.replayQuietMs),
    record: values.record,
  });
  // The first line on stdout is the WebSocket URL (contract); logs follow.
  process.stdout.write(`${running.url}\n`);
  const logger = createLogger({ service: 'finnhub-sim', level: process.env.LOG_LEVEL ?? 'info', secrets: [token] });
  logger.info({ url: running.url, control: `${running.httpUrl}/control/stats`, replayFrames: replay?.length }, 'finnhub-sim listening');
  onShutdown(logger, () => running.stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`finnhub-sim: ${(err as Error).message}\n`);
  process.exit(2);
});
