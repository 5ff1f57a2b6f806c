import type { Request, Response } from 'express';

export interface SseEvent {
  event: string;
  data: unknown;
  /** Events about one symbol go only to clients that follow it (or follow everything). */
  symbol?: string;
}

interface Client {
  res: Response;
  address: string;
  /** Only this symbol's events (and symbol-less ones); undefined: everything. */
  symbol: string | undefined;
}

export interface SseHubOptions {
  heartbeatMs: number;
  /** A client that has this much unsent output is too slow: it is dropped (EventSource reconnects). */
  maxBufferedBytes?: number;
  /** Unsent output over all clients at most: past it, clients already behind are dropped, the slowest first in effect. */
  maxTotalBufferedBytes?: number;
  /** Open streams at most; more get 503. */
  maxClients?: number;
  /** Open streams per remote address at most; more get 429, so one host cannot take every slot. */
  maxClientsPerAddress?: number;
  /** A client was dropped for being too slow (`client`: its own limit; `budget`: the total). */
  dropped?: (reason: 'client' | 'budget') => void;
  /** Events every new client gets first (the current Kafka state). */
  greeting?: () => SseEvent[];
  sent?: (event: string) => void;
}

/**
 * Server-sent events by hand: the right headers, one write per event (Node
 * writes it at once: no compression, no buffering proxy thanks to
 * X-Accel-Buffering), a comment heartbeat so idle proxies keep the stream
 * open, and clients removed when they close or fall behind.
 */
export function createSseHub(opts: SseHubOptions) {
  const clients = new Set<Client>();
  const perAddress = new Map<string, number>();
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  const maxTotal = opts.maxTotalBufferedBytes ?? 64 * 1024 * 1024;
  const maxClients = opts.maxClients ?? 1000;
  const maxPerAddress = opts.maxClientsPerAddress ?? 20;
  /** Unsent output over all clients, as of the last write; kept exact at every write (writableLength only shrinks between them). */
  let total = 0;

  function remove(client: Client): boolean {
    if (!clients.delete(client)) return false;
    const n = (perAddress.get(client.address) ?? 1) - 1;
    if (n > 0) perAddress.set(client.address, n);
    else perAddress.delete(client.address);
    return true;
  }

  /** Refreshes the total from the sockets (they drain between writes). */
  function measure() {
    total = 0;
    for (const c of clients) total += c.res.writableLength;
    return total;
  }

  /** A slow client's socket is destroyed: end() would keep its unsent output queued. */
  function drop(client: Client, reason: 'client' | 'budget') {
    if (!remove(client)) return;
    total -= client.res.writableLength;
    client.res.destroy();
    opts.dropped?.(reason);
  }

  function write(client: Client, text: string, event?: string) {
    const behind = client.res.writableLength;
    if (behind + text.length > maxBuffered) return drop(client, 'client');
    // A client that keeps up (nothing unsent) always gets its event; one already behind only within the budget.
    if (behind > 0 && total + text.length > maxTotal) return drop(client, 'budget');
    client.res.write(text);
    total += client.res.writableLength - behind;
    if (event) opts.sent?.(event);
  }

  const frame = (e: SseEvent) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;

  const heartbeat = setInterval(() => {
    measure();
    for (const client of clients) write(client, ': heartbeat\n\n');
  }, opts.heartbeatMs);
  heartbeat.unref();

  return {
    /** GET /api/stream[?symbol=S] */
    handle(req: Request, res: Response) {
      const symbol = typeof req.query.symbol === 'string' && req.query.symbol.length > 0 ? req.query.symbol : undefined;
      if (clients.size >= maxClients) {
        res
          .status(503)
          .set('Retry-After', '10')
          .json({ error: `too many event streams (${maxClients})` });
        return;
      }
      const address = req.socket.remoteAddress ?? 'unknown';
      if ((perAddress.get(address) ?? 0) >= maxPerAddress) {
        res
          .status(429)
          .set('Retry-After', '10')
          .json({ error: `too many event streams from one address (${maxPerAddress})` });
        return;
      }
      res.status(200);
      res.set({
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      req.socket.setNoDelay(true);
      const client: Client = { res, symbol, address };
      clients.add(client);
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      // Reconnect quickly after a restart.
      res.write('retry: 2000\n\n');
      for (const e of opts.greeting?.() ?? []) write(client, frame(e), e.event);
      res.on('close', () => remove(client));
      // A failed write to a gone client must not become an uncaught error.
      res.on('error', () => remove(client));
    },

    broadcast(e: SseEvent) {
      if (clients.size === 0) return;
      const text = frame(e);
      measure();
      for (const client of clients) {
        if (e.symbol === undefined || client.symbol === undefined || client.symbol === e.symbol) write(client, text, e.event);
      }
    },

    clients: () => clients.size,
    /** Unsent output over all clients now. */
    bufferedBytes: () => measure(),

    /** Ends every stream (shutdown). */
    close() {
      clearInterval(heartbeat);
      for (const client of [...clients]) {
        remove(client);
        client.res.end();
      }
    },
  };
}

export type SseHub = ReturnType<typeof createSseHub>;
