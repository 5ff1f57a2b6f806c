import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import { AvroDecodeError, confluentCodec, loadSchema, singleObjectCodec } from './avro.js';
import { readerCodec, type SchemaRegistry } from './schema-registry.js';
import type { TradeValue } from './trades-topic.js';

const tradeType = loadSchema('trade');
const trade: TradeValue = { symbol: 'IC MARKETS:1', price: 1.1, volume: 0, timestamp: 1_700_000_000_000, conditions: [], receivedAt: 1_700_000_000_001 };

/** A registry that knows the ids it is given, and counts lookups. */
function fakeRegistry(schemas: Record<number, avro.Type>) {
  const lookups: number[] = [];
  const registry: SchemaRegistry = {
    register: () => Promise.resolve(1),
    schema: (id) => {
      lookups.push(id);
      return Promise.resolve(schemas[id]);
    },
  };
  return { registry, lookups };
}

describe('readerCodec', () => {
  it('decodes single-object encoding and the Confluent wire format, fetching each writer schema once', async () => {
    const { registry, lookups } = fakeRegistry({ 7: tradeType });
    const codec = readerCodec<TradeValue>(tradeType, registry);
    const confluent = confluentCodec<TradeValue>(tradeType, 7).encode(trade);
    await codec.prepare([confluent, confluent, null]);
    await codec.prepare([confluent]);
    assert.deepEqual(lookups, [7]);
    assert.deepEqual({ ...codec.decode(confluent) }, trade);
    assert.deepEqual({ ...codec.decode(singleObjectCodec<TradeValue>(tradeType).encode(trade)) }, trade);
  });

  it('resolves an evolved writer schema (a field added with a default) to ours', async () => {
    const evolved = avro.Type.forSchema({
      ...(tradeType.schema() as object),
      fields: [...(tradeType.schema() as { fields: object[] }).fields, { name: 'venue', type: 'string', default: '' }],
    } as avro.Schema);
    const { registry } = fakeRegistry({ 9: evolved });
    const codec = readerCodec<TradeValue>(tradeType, registry);
    const bytes = confluentCodec<TradeValue & { venue: string }>(evolved, 9).encode({ ...trade, venue: 'XNAS' });
    await codec.prepare([bytes]);
    assert.deepEqual({ ...codec.decode(bytes) }, trade);
  });

  it('an id the registry does not know, or Confluent framing without a registry, is an unknown-schema-id decode error', async () => {
    const bytes = confluentCodec<TradeValue>(tradeType, 42).encode(trade);
    const { registry } = fakeRegistry({});
    const withRegistry = readerCodec<TradeValue>(tradeType, registry);
    await withRegistry.prepare([bytes]);
    for (const codec of [withRegistry, readerCodec<TradeValue>(tradeType, undefined)]) {
      assert.throws(
        () => codec.decode(bytes),
        (err) => err instanceof AvroDecodeError && err.reason === 'unknown-schema-id',
      );
    }
  });

  it('encodes in the framing it is given', () => {
    const codec = readerCodec<TradeValue>(tradeType, undefined, confluentCodec<TradeValue>(tradeType, 3));
    assert.equal(codec.encode(trade).readInt32BE(1), 3);
  });
});
