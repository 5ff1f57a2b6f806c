import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { errorFrame, invalidSymbolMessage, pingFrame, tradeFrame, TOO_MANY_SYMBOLS, type WireTrade } from '@tickerflow/common';
import { createMarket } from './market.js';
import { replayText, type ReplayFrame } from './replay.js';

export interface SimOptions {
  token: string;
  /** The plan's symbol limit per connection (Finnhub free plan: 50). */
  symbolLimit: number;
  /** Symbols Finnhub answers with `Invalid symbol X`. */
  invalidSymbols: ReadonlySet<string>;
  /** What a second connection with the same key does: drop the old one, or drop both. */
  duplicateConnection: 'drop-old' | 'drop-both';
  pingIntervalMs: number;
  /** Synthetic trades per second over all subscribed symbols (0: none). */
  rate: number;
  seed: number;
  maxTradesPerFrame: number;
  tickMs: number;
  replay?: readonly ReplayFrame[];
  replayQuietMs: number;
  replayIntervalMs: number;
  /** Keep every trade sent, per connection, for tests that compare multisets. */
  record: boolean;
}

export const defaultSimOptions: Omit<SimOptions, 'token'> = {
  symbolLimit: 50,
  invalidSymbols: new Set(['FX:EURUSD']),
  duplicateConnection: 'drop-old',
  pingIntervalMs: 60_000,
  rate: 50,
  seed: 1,
  maxTradesPerFrame: 20,
  tickMs: 20,
  replayQuietMs: 1000,
  replayIntervalMs: 50,
  record: false,
};

/** A client's socket buffer above which frames are not sent (counted as skipped): a slow client never grows our memory. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export interface ConnectionStats {
  id: number;
  open: boolean;
  closeCode?: number;
  subscriptions: string[];
  framesSent: number;
  tradesSent: number;
  pingsSent: number;
  errorsSent: string[];
  framesSkipped: number;
  clientMessages: number;
  /** The subscribe and unsubscribe frames received, with when (the latest 10,000). */
  received: { type: 'subscribe' | 'unsubscribe'; symbol: string; at: number }[];
  stalled: boolean;
  /** Frames of the replay file this connection has been through. */
  replayPosition: number;
}

interface Connection {
  stats: ConnectionStats;
  socket: WebSocket;
  subscriptions: Set<string>;
  lastSubscriptionChange: number;
  replayIndex: number;
  sent: WireTrade[];
}

/**
 * A Finnhub WebSocket server: token check, one connection per key, symbol
 * limit, invalid symbols, pings, a synthetic market or a replayed file, and
 * faults on demand (close, stall, malformed frames).
 */
export function createSimulator(options: SimOptions, now: () => number = Date.now) {
  const opts = { ...options };
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const connections = new Map<number, Connection>();
  const market = createMarket({ seed: opts.seed });
  let nextId = 1;
  let generating = true;
  let carry = 0;
  let lastTick = now();
  const timers: NodeJS.Timeout[] = [];

  const live = () => [...connections.values()].filter((c) => c.stats.open);

  function send(conn: Connection, text: string, trades: readonly WireTrade[] = []): boolean {
    // A closing socket sends nothing more: only what really went out is counted.
    if (!conn.stats.open || conn.stats.stalled || conn.socket.readyState !== WebSocket.OPEN) return false;
    if (conn.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      conn.stats.framesSkipped++;
      return false;
    }
    conn.socket.send(text);
    conn.stats.framesSent++;
    conn.stats.tradesSent += trades.length;
    if (opts.record) for (const t of trades) conn.sent.push(t);
    return true;
  }

  function onClientMessage(conn: Connection, data: string) {
    conn.stats.clientMessages++;
    let msg: { type?: unknown; symbol?: unknown };
    try {
      msg = JSON.parse(data) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.symbol !== 'string') return;
    const symbol = msg.symbol;
    if (msg.type === 'subscribe' || msg.type === 'unsubscribe') {
      conn.stats.received.push({ type: msg.type, symbol, at: now() });
      if (conn.stats.received.length > 10_000) conn.stats.received.shift();
    }
    if (msg.type === 'subscribe') {
      if (opts.invalidSymbols.has(symbol)) {
        const text = invalidSymbolMessage(symbol);
        conn.stats.errorsSent.push(text);
        send(conn, errorFrame(text));
        return;
      }
      if (!conn.subscriptions.has(symbol) && conn.subscriptions.size >= opts.symbolLimit) {
        conn.stats.errorsSent.push(TOO_MANY_SYMBOLS);
        send(conn, errorFrame(TOO_MANY_SYMBOLS));
        return;
      }
      conn.subscriptions.add(symbol);
    } else if (msg.type === 'unsubscribe') {
      conn.subscriptions.delete(symbol);
    } else {
      return;
    }
    conn.lastSubscriptionChange = now();
    conn.stats.subscriptions = [...conn.subscriptions];
  }

  function accept(socket: WebSocket) {
    const conn: Connection = {
      socket,
      subscriptions: new Set(),
      lastSubscriptionChange: now(),
      replayIndex: 0,
      sent: [],
      stats: {
        id: nextId++,
        open: true,
        subscriptions: [],
        framesSent: 0,
        received: [],
        tradesSent: 0,
        pingsSent: 0,
        errorsSent: [],
        framesSkipped: 0,
        clientMessages: 0,
        stalled: false,
        replayPosition: 0,
      },
    };
    // One connection per API key.
    const others = live();
    for (const other of others) other.socket.close(1008, 'another connection uses this API key');
    connections.set(conn.stats.id, conn);
    if (opts.duplicateConnection === 'drop-both' && others.length > 0) {
      socket.close(1008, 'another connection uses this API key');
    }
    socket.on('message', (data, isBinary) => {
      if (!isBinary) onClientMessage(conn, (data as Buffer).toString('utf8'));
    });
    socket.on('close', (code) => {
      conn.stats.open = false;
      conn.stats.closeCode = code;
    });
    socket.on('error', () => undefined);
  }

  function tick() {
    const t = now();
    const elapsed = Math.max(0, t - lastTick);
    lastTick = t;
    if (!generating || opts.rate <= 0) return;
    const conns = live().filter((c) => !c.stats.stalled && c.subscriptions.size > 0);
    if (conns.length === 0) return;
    // At most two ticks' worth at once: past the rate this process can
    // generate, it runs at its highest rate instead of falling behind forever.
    carry = Math.min(carry + (opts.rate * elapsed) / 1000, (2 * opts.rate * opts.tickMs) / 1000);
    const count = Math.floor(carry);
    carry -= count;
    if (count === 0) return;
    const symbols = [...new Set(conns.flatMap((c) => [...c.subscriptions]))];
    const trades = market.trades(symbols, count, t);
    for (const conn of conns) {
      const mine = conns.length === 1 ? trades : trades.filter((tr) => conn.subscriptions.has(tr.s));
      for (const frame of market.frames(mine, opts.maxTradesPerFrame)) send(conn, tradeFrame(frame), frame);
    }
  }

  function replayTick() {
    const frames = opts.replay;
    if (!frames) return;
    const t = now();
    for (const conn of live()) {
      if (conn.subscriptions.size === 0 || t - conn.lastSubscriptionChange < opts.replayQuietMs) continue;
      while (conn.replayIndex < frames.length) {
        const out = replayText(frames[conn.replayIndex++]!, conn.subscriptions);
        conn.stats.replayPosition = conn.replayIndex;
        if (out && send(conn, out.text, out.trades)) break;
      }
    }
  }

  function pingAll() {
    for (const conn of live()) if (send(conn, pingFrame())) conn.stats.pingsSent++;
  }

  const pick = (id?: number) => (id === undefined ? live() : live().filter((c) => c.stats.id === id));

  return {
    /** Routes WebSocket upgrades of `server` here, refusing a bad or missing token with 401. */
    attach(server: Server) {
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const token = new URL(req.url ?? '/', 'http://sim').searchParams.get('token');
        if (token !== opts.token) {
          socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nInvalid API key\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, accept);
      });
      timers.push(setInterval(tick, opts.tickMs));
      timers.push(setInterval(pingAll, opts.pingIntervalMs));
      if (opts.replay) timers.push(setInterval(replayTick, opts.replayIntervalMs));
    },
    stats: () => [...connections.values()].map((c) => ({ ...c.stats })),
    sentTrades: (id: number) => connections.get(id)?.sent ?? [],
    setRate(rate: number) {
      opts.rate = rate;
    },
    setGenerating(on: boolean) {
      generating = on;
    },
    /** Closes connections with a close code (1000-4999), or drops them without one when code is undefined. */
    close(id: number | undefined, code?: number, reason = 'maintenance') {
      for (const c of pick(id)) {
        if (code === undefined) c.socket.terminate();
        else c.socket.close(code, reason);
      }
    },
    /** Stops sending anything, pings included, while the socket stays open. */
    stall(id: number | undefined, stalled: boolean) {
      for (const c of pick(id)) c.stats.stalled = stalled;
    },
    sendRaw(id: number | undefined, text: string) {
      for (const c of pick(id)) send(c, text);
    },
    ping: pingAll,
    async stop() {
      for (const t of timers) clearInterval(t);
      for (const c of live()) c.socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export type Simulator = ReturnType<typeof createSimulator>;
