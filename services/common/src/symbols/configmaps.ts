import { z } from 'zod';

/**
 * The two ConfigMaps between the controller and the producer, one writer
 * each. The controller writes the desired symbols (the union of the live
 * TickerSubscriptions, capped at the limit); the producer's leader writes what
 * Finnhub did with them. Both are JSON under one key, so a reader sees one
 * consistent document.
 */
export const SYMBOLS_KEY = 'symbols.json';
export const PRODUCER_STATE_KEY = 'state.json';

export const observedSymbolStates = ['subscribed', 'pending', 'rejected', 'overLimit'] as const;
export type ObservedSymbolState = (typeof observedSymbolStates)[number];

const producerStateSchema = z.object({
  /** When the leader wrote this report (it rewrites it at least every heartbeat, so an old one means the producer is gone). */
  reportedAt: z.iso.datetime(),
  /** The pod (or process) that wrote it. */
  identity: z.string(),
  /** Whether the Finnhub WebSocket is open. */
  connected: z.boolean(),
  symbols: z.array(
    z.object({
      symbol: z.string(),
      state: z.enum(observedSymbolStates),
      /** Finnhub's words, when it rejected the symbol or refused it over the plan's limit. */
      message: z.string().optional(),
      lastTradeTime: z.iso.datetime().optional(),
    }),
  ),
});

export type ProducerStateReport = z.infer<typeof producerStateSchema>;

/** The desired symbols, as the controller writes them. */
export const encodeDesiredSymbols = (symbols: readonly string[]): Record<string, string> => ({ [SYMBOLS_KEY]: JSON.stringify(symbols) });

/** The desired symbols from the ConfigMap's data; throws with a clear message when the document is not a JSON array of strings. */
export function decodeDesiredSymbols(data: Record<string, string> | undefined): string[] {
  const text = data?.[SYMBOLS_KEY];
  if (text === undefined) return [];
  const parsed = z.array(z.string()).safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${SYMBOLS_KEY} is not a JSON array of strings`);
  return parsed.data;
}

export const encodeProducerState = (report: ProducerStateReport): Record<string, string> => ({ [PRODUCER_STATE_KEY]: JSON.stringify(report) });

/** The producer's report from the ConfigMap's data; undefined when there is none, throws when it is malformed. */
export function decodeProducerState(data: Record<string, string> | undefined): ProducerStateReport | undefined {
  const text = data?.[PRODUCER_STATE_KEY];
  if (text === undefined) return undefined;
  const parsed = producerStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${PRODUCER_STATE_KEY} is not a producer state report: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
