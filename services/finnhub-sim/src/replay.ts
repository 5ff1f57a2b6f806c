import { readFileSync } from 'node:fs';
import { parseFrame, tradeFrame, type WireTrade } from '@tickerflow/common';

/** One server frame from a replay file: its raw text, and its trades when it is a trade frame. */
export interface ReplayFrame {
  raw: string;
  trades?: WireTrade[];
}

/**
 * Reads a JSONL replay file: one object with a `raw` field per line (the
 * fixture format; `client_request` lines are skipped), or one raw frame per line.
 */
export function loadReplay(file: string): ReplayFrame[] {
  const frames: ReplayFrame[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim().length === 0) return;
      let raw = line;
      try {
        const obj = JSON.parse(line) as { raw?: unknown; kind?: unknown };
        if (typeof obj.raw === 'string') {
          if (obj.kind === 'client_request') return;
          raw = obj.raw;
        }
      } catch {
        // Not JSON: a raw (malformed) frame, replayed as it is.
      }
      if (raw.length === 0) throw new Error(`${file}:${i + 1}: empty frame`);
      const parsed = parseFrame(raw);
      if (parsed.kind === 'trade') {
        const data = (JSON.parse(raw) as { data: unknown[] }).data;
        frames.push({ raw, trades: data as WireTrade[] });
      } else {
        frames.push({ raw });
      }
    });
  return frames;
}

/**
 * The text to send for `frame` to a connection subscribed to `symbols`:
 * the raw text when every trade is wanted, a re-serialized frame with the
 * wanted trades otherwise, undefined when none is. Non-trade frames go as they are.
 */
export function replayText(frame: ReplayFrame, symbols: ReadonlySet<string>): { text: string; trades: WireTrade[] } | undefined {
  if (!frame.trades) return { text: frame.raw, trades: [] };
  const wanted = frame.trades.filter((t) => typeof t?.s === 'string' && symbols.has(t.s));
  if (wanted.length === 0) return undefined;
  return { text: wanted.length === frame.trades.length ? frame.raw : tradeFrame(wanted), trades: wanted };
}
