import type { Request, Response } from 'express';

export interface SseEvent {
  event: string;
  data: unknown;
  /** Events about one symbol go only to clients that follow it (or follow everything). */
  symbol?: string;
}

interface Client {
  res: Response;
  /** Only this symbol's events (and symbol-less ones); undefined: everything. */
  symbol: string | undefined;
}

export interface SseHubOptions {
  heartbeatMs: number;
  /** A client that has this much unsent output is too slow: it is dropped (EventSource reconnects). */
  maxBufferedBytes?: number;
  /** Open streams at most; more get 503 (each may hold up to maxBufferedBytes). */
  maxClients?: number;
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
  const maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
  const maxClients = opts.maxClients ?? 1000;

  /** A slow client's socket is destroyed: end() would keep its unsent output queued. */
  function drop(client: Client) {
    if (!clients.delete(client)) return;
    client.res.destroy();
  }

  function write(client: Client, text: string, event?: string) {
    if (client.res.writableLength + text.length > maxBuffered) {
      drop(client);
      return;
    }
    client.res.write(text);
    if (event) opts.sent?.(event);
  }

  const frame = (e: SseEvent) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;

  const heartbeat = setInterval(() => {
    for (const client of clients) write(client, ': heartbeat\n\n');
  }, opts.heartbeatMs);
  heartbeat.unref();

  return {
    /** GET /api/stream[?symbol=S] */
    handle(req: Request, res: Response) {
      const symbol = typeof req.query.symbol === 'string' && req.query.symbol.length > 0 ? req.query.symbol : undefined;
      if (clients.size >= maxClients) {
        res.status(503).set('Retry-After', '10').json({ error: `too many event streams (${maxClients})` });
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
      const client: Client = { res, symbol };
      clients.add(client);
      // Reconnect quickly after a restart.
      res.write('retry: 2000\n\n');
      for (const e of opts.greeting?.() ?? []) write(client, frame(e), e.event);
      res.on('close', () => clients.delete(client));
      // A failed write to a gone client must not become an uncaught error.
      res.on('error', () => clients.delete(client));
    },

    broadcast(e: SseEvent) {
      if (clients.size === 0) return;
      const text = frame(e);
      for (const client of clients) {
        if (e.symbol === undefined || client.symbol === undefined || client.symbol === e.symbol) write(client, text, e.event);
      }
    },

    clients: () => clients.size,

    /** Ends every stream (shutdown). */
    close() {
      clearInterval(heartbeat);
      for (const client of [...clients]) {
        clients.delete(client);
        client.res.end();
      }
    },
  };
}

export type SseHub = ReturnType<typeof createSseHub>;
