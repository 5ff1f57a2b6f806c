import type { Logger } from '@tickerflow/common';
import type { TradeSender } from './trade-sender.js';
import type { TradeWriter } from './trade-writer.js';

const PARTITION_REFRESH_MS = 60_000;

/**
 * Every interval, a watermark record (this process's clock) to every
 * partition of the trades topic, through the same ordered buffer as the
 * trades, so the candle consumer can close windows of quiet symbols. The
 * partition count is refreshed every minute, so added partitions get them too.
 */
export function createWatermarkTicker(
  options: { topic: string; intervalMs: number },
  deps: { sender: TradeSender; writer: Pick<TradeWriter, 'writeWatermarks'>; logger: Logger; now?: () => number },
) {
  const now = deps.now ?? Date.now;
  let partitions = 0;
  let timers: NodeJS.Timeout[] = [];
  // Bumped by stop(): a start() still reading the partitions then sets no timers.
  let generation = 0;

  async function refresh() {
    try {
      partitions = await deps.sender.partitions(options.topic);
    } catch (err) {
      deps.logger.warn({ err }, 'cannot read the trades topic partitions; keeping the last count');
    }
  }

  return {
    async start() {
      if (options.intervalMs === 0) return;
      const mine = ++generation;
      await refresh();
      if (mine !== generation) return;
      for (const t of timers) clearInterval(t);
      timers = [setInterval(() => deps.writer.writeWatermarks(now(), partitions), options.intervalMs), setInterval(() => void refresh(), PARTITION_REFRESH_MS)];
    },
    /** Stops the ticks; start() may follow (only the leader writes watermarks). */
    stop() {
      generation++;
      for (const t of timers) clearInterval(t);
      timers = [];
    },
  };
}
