import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { backoffDelay, parseFrame, subscribeMessage, unsubscribeMessage, type BackoffOptions, type Frame, type Logger, type Trade } from '@tickerflow/common';
import type { SymbolStates } from './symbol-state.js';

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized' | 'stopped';
export const connectionStates: readonly ConnectionState[] = ['connecting', 'open', 'closed', 'unauthorized', 'stopped'];
export type ReconnectReason = 'closed' | 'stale' | 'error' | 'unauthorized';

export interface FinnhubConnectionOptions {
  url: string;
  token: string;
  /** No frame at all (not even a ping) for this long: the socket is dead. */
  staleMs: number;
  symbolLimit: number;
  backoff: BackoffOptions;
  /** A refused token is a configuration error: retry slowly. */
  unauthorizedRetryMs: number;
  /** On shutdown, after unsubscribing, read until the socket is quiet this long (bounded by drainMaxMs). */
  drainQuietMs: number;
  drainMaxMs: number;
}

export interface ConnectionEvents {
  trades(trades: Trade[], receivedAt: number): void;
  frame(frame: Frame, receivedAt: number): void;
  state(state: ConnectionState): void;
  reconnect(reason: ReconnectReason): void;
  finnhubError(message: string, symbol: string | undefined): void;
}

/**
 * The one Finnhub WebSocket: connects, subscribes to the wanted symbols,
 * applies symbol changes live on the open socket, reconnects with bounded
 * exponential backoff and jitter, and treats a silent socket as dead.
 */
export function createFinnhubConnection(
  opts: FinnhubConnectionOptions,
  deps: { states: SymbolStates; events: ConnectionEvents; logger: Logger; now?: () => number },
) {
  const now = deps.now ?? Date.now;
  const { states, events, logger } = deps;
  let socket: WebSocket | undefined;
  let state: ConnectionState = 'closed';
  let wanted: string[] = [];
  const sent = new Set<string>();
  let attempt = 0;
  let lastFrameAt = 0;
  let stopping = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;

  const setState = (next: ConnectionState) => {
    if (state === next) return;
    state = next;
    events.state(next);
  };

  const sendSymbol = (message: string) => socket?.send(message);

  function syncSubscriptions() {
    if (state !== 'open') return;
    const want = new Set(wanted);
    for (const s of [...sent]) {
      if (!want.has(s)) {
        sendSymbol(unsubscribeMessage(s));
        sent.delete(s);
      }
    }
    for (const s of wanted) {
      if (!sent.has(s)) {
        sendSymbol(subscribeMessage(s));
        sent.add(s);
        states.subscribeSent(s);
      }
    }
  }

  function scheduleReconnect(reason: ReconnectReason) {
    if (stopping || reconnectTimer) return;
    const delay = reason === 'unauthorized' ? opts.unauthorizedRetryMs : backoffDelay(attempt++, opts.backoff);
    events.reconnect(reason);
    logger.info({ reason, delayMs: delay, attempt }, 'reconnecting to Finnhub');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect();
    }, delay);
  }

  function connect() {
    if (stopping) return;
    setState('connecting');
    sent.clear();
    states.reset();
    const url = new URL(opts.url);
    url.searchParams.set('token', opts.token);
    const ws = new WebSocket(url, { handshakeTimeout: 15_000, perMessageDeflate: false });
    socket = ws;
    let reason: ReconnectReason = 'closed';
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      if (res.statusCode === 401 || res.statusCode === 403) {
        reason = 'unauthorized';
        setState('unauthorized');
        logger.error({ status: res.statusCode }, 'Finnhub refused the API token: check FINNHUB_TOKEN (retrying slowly)');
      } else {
        reason = 'error';
        logger.warn({ status: res.statusCode }, 'Finnhub refused the WebSocket upgrade');
      }
      ws.terminate();
    });
    ws.on('open', () => {
      attempt = 0;
      lastFrameAt = now();
      setState('open');
      logger.info({ symbols: wanted.length }, 'connected to Finnhub');
      syncSubscriptions();
    });
    ws.on('message', (data: Buffer, isBinary) => {
      const receivedAt = now();
      lastFrameAt = receivedAt;
      const frame = isBinary ? ({ kind: 'malformed', reason: 'binary frame' } as const) : parseFrame(data.toString('utf8'));
      events.frame(frame, receivedAt);
      if (frame.kind === 'trade') {
        for (const t of frame.trades) states.trade(t.symbol, t.timestamp);
        if (frame.trades.length > 0) events.trades(frame.trades, receivedAt);
      } else if (frame.kind === 'error') {
        const symbol = states.error(frame.message);
        events.finnhubError(frame.message, symbol);
        logger.warn({ finnhubMessage: frame.message, symbol }, 'Finnhub error frame');
      } else if (frame.kind === 'malformed') {
        logger.debug({ reason: frame.reason }, 'malformed frame');
      }
    });
    ws.on('error', (err) => {
      if (reason === 'closed') reason = 'error';
      logger.warn({ err }, 'Finnhub socket error');
    });
    ws.on('close', (code) => {
      // A socket given up on (stopped, or replaced after a restart) says nothing about the current one.
      if (socket !== ws) return;
      socket = undefined;
      if (state !== 'unauthorized') setState('closed');
      if (!stopping) {
        logger.warn({ code, reason }, 'Finnhub socket closed');
        scheduleReconnect(reason);
      }
    });
  }

  function checkStale() {
    if (state === 'open' && socket && now() - lastFrameAt > opts.staleMs) {
      logger.warn({ silentMs: now() - lastFrameAt }, 'Finnhub socket stale: no frame, not even a ping; reconnecting');
      const ws = socket;
      ws.removeAllListeners('close');
      ws.on('error', () => undefined);
      ws.terminate();
      socket = undefined;
      setState('closed');
      scheduleReconnect('stale');
    }
  }

  return {
    start() {
      stopping = false;
      watchdog = setInterval(checkStale, Math.max(100, Math.min(5000, opts.staleMs / 4)));
      connect();
    },
    /** The wanted symbols, in priority order: the first `symbolLimit` are subscribed, the rest are over the limit. */
    setSymbols(symbols: readonly string[]) {
      const unique = [...new Set(symbols)];
      wanted = unique.slice(0, opts.symbolLimit);
      states.want(wanted, unique.slice(opts.symbolLimit), opts.symbolLimit);
      syncSubscriptions();
    },
    state: () => state,
    lastFrameAt: () => lastFrameAt,
    /** Open, and every wanted symbol has been sent. */
    ready: () => state === 'open' && wanted.every((s) => sent.has(s)),
    /**
     * Graceful stop: unsubscribe everything, keep reading what Finnhub had
     * already sent until the socket is quiet, then close. `drain: false`
     * drops the socket at once (leadership lost: another replica may connect
     * soon, and Finnhub allows one connection per key). `start()` may follow.
     */
    async stop(how: { drain?: boolean } = {}) {
      stopping = true;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      clearInterval(watchdog);
      const ws = socket;
      if (ws && ws.readyState === WebSocket.OPEN && how.drain !== false) {
        for (const s of sent) ws.send(unsubscribeMessage(s));
        sent.clear();
        const deadline = now() + opts.drainMaxMs;
        const started = now();
        lastFrameAt = Math.max(lastFrameAt, started);
        while (now() < deadline && now() - lastFrameAt < opts.drainQuietMs) await sleep(Math.min(50, opts.drainQuietMs));
        const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
        ws.close(1000, 'shutdown');
        await Promise.race([closed, sleep(2000)]);
        ws.terminate();
      } else {
        ws?.terminate();
      }
      socket = undefined;
      sent.clear();
      // Nothing is subscribed any more (a standby shows its symbols pending).
      states.reset();
      setState('stopped');
    },
  };
}

export type FinnhubConnection = ReturnType<typeof createFinnhubConnection>;
