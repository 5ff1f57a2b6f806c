/** A record about to be produced, with what counts towards its size. */
export interface SizedMessage {
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[]>;
}

/** Approximate bytes of a record in a batch: key, value, headers and per-record overhead. */
export function messageBytes(m: SizedMessage): number {
  let bytes = 32 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) bytes += 8 + name.length + v.length;
  }
  return bytes;
}

/**
 * Splits messages, in order, into groups of at most `budget` bytes (a single
 * larger message is a group of its own), so one produce request never carries
 * a record batch the broker refuses for its size.
 */
export function chunkBySize<M extends SizedMessage>(messages: readonly M[], budget: number): M[][] {
  const chunks: M[][] = [];
  let current: M[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = messageBytes(m);
    if (current.length > 0 && size + bytes > budget) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
