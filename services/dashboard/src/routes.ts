import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { CandleHistory } from './history.js';
import type { SseHub } from './sse.js';
import type { CandleStore } from './store.js';
import type { Candle } from '@tickerflow/common';

/** The page's static files (public/, beside src/ and dist/). */
export const publicDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'public');

/** lightweight-charts' standalone production build, served from node_modules (no CDN). */
export const chartLibraryFile = join(
  dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')),
  'dist',
  'lightweight-charts.standalone.production.js',
);

/**
 * Strict: scripts and styles only from files of this origin (no inline
 * script, no eval), data only from this origin, no framing, no plugins.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(_req: Request, res: Response, next: NextFunction) {
  res.set({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  });
  next();
}

const badRequest = (res: Response, error: string) => res.status(400).json({ error });

/** Candles per page of older history. */
export const HISTORY_PAGE_DEFAULT = 500;
export const HISTORY_PAGE_MAX = 5000;

export function dashboardRoutes(deps: {
  store: CandleStore;
  sse: SseHub;
  intervals: readonly string[];
  /** The history database, when the sink writes one. */
  history?: CandleHistory;
  historyQueried?: (result: 'ok' | 'error') => void;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const { store } = deps;
  return (app: Express) => {
    app.use(securityHeaders);
    app.get('/', (_req, res) => {
      res.set('Cache-Control', 'no-cache').sendFile(join(publicDir, 'index.html'));
    });
    app.get('/vendor/lightweight-charts.js', (_req, res) => {
      res.set('Cache-Control', 'public, max-age=3600').sendFile(chartLibraryFile);
    });
    app.use('/static', express.static(publicDir, { index: false, maxAge: 0 }));

    /** Every symbol held, with its last price and trade rate, and the configured intervals. */
    app.get('/api/symbols', (_req, res) => {
      const t = now();
      res.json({ intervals: deps.intervals, symbols: store.symbols().map((s) => store.stats(s, t)!) });
    });

    /** History and forming candles of one symbol and interval, oldest first. */
    app.get('/api/candles', async (req, res) => {
      const { symbol, interval } = req.query;
      if (typeof symbol !== 'string' || symbol.length === 0) return badRequest(res, 'query parameter symbol is required (once)');
      if (typeof interval !== 'string' || !deps.intervals.includes(interval)) {
        return badRequest(res, `query parameter interval must be one of: ${deps.intervals.join(', ')}`);
      }
      const { before, limit } = req.query;
      if (before === undefined) return res.json({ symbol, interval, candles: store.candles(symbol, interval), stats: store.stats(symbol, now()) ?? null });
      // Older history, a page at a time: what the page holds, and before it the history database.
      const beforeMs = Number(before);
      if (typeof before !== 'string' || !Number.isSafeInteger(beforeMs)) return badRequest(res, 'query parameter before must be epoch milliseconds');
      const pageSize = limit === undefined ? HISTORY_PAGE_DEFAULT : Number(limit);
      if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > HISTORY_PAGE_MAX) {
        return badRequest(res, `query parameter limit must be 1 to ${HISTORY_PAGE_MAX}`);
      }
      const held = store.candles(symbol, interval).filter((c) => c.final && c.windowStart < beforeMs);
      const byStart = new Map<number, Candle>();
      if (deps.history) {
        try {
          for (const c of await deps.history.older(symbol, interval, beforeMs, pageSize)) byStart.set(c.windowStart, c);
          deps.historyQueried?.('ok');
        } catch {
          deps.historyQueried?.('error');
          return res.status(503).json({ error: 'the history database is unavailable' });
        }
      }
      for (const c of held) byStart.set(c.windowStart, c);
      const candles = [...byStart.values()].sort((a, b) => a.windowStart - b.windowStart).slice(-pageSize);
      res.json({ symbol, interval, candles, history: deps.history ? 'database' : 'memory' });
    });

    app.get('/api/stream', (req, res) => deps.sse.handle(req, res));
  };
}
