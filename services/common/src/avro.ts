import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';

/** The repository's schemas/ folder: the single source for the wire format. */
export const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'schemas');

export function loadSchema(name: 'trade' | 'candle'): avro.Type {
  return avro.Type.forSchema(JSON.parse(readFileSync(join(schemasDir, `${name}.avsc`), 'utf8')) as avro.Schema);
}

// CRC-64-AVRO (Rabin) fingerprint, as the Avro specification defines it.
const EMPTY = 0xc15d213aa4d7a795n;
const TABLE = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
  return fp;
});

export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  return fp;
}

/** Parsing Canonical Form of a schema (avsc's schema() without attributes). */
export function canonicalForm(type: avro.Type): string {
  return JSON.stringify(type.schema());
}

export class AvroDecodeError extends Error {
  override readonly name = 'AvroDecodeError';
  constructor(
    message: string,
    readonly reason: 'bad-magic' | 'unknown-fingerprint' | 'bad-body' | 'unknown-schema-id',
  ) {
    super(message);
  }
}

/**
 * Walks an Avro binary body against its type before avsc decodes it, and
 * throws unless every length and block count fits in the bytes left. avsc
 * trusts a block count, so a 25-byte record claiming 10⁹ array items would
 * otherwise allocate until the heap is gone. (Arrays of zero-byte items, such
 * as nulls, with more items than bytes are refused too; no schema here has them.)
 */
export function checkAvroBounds(type: avro.Type, bytes: Uint8Array): void {
  let pos = 0;
  const fail = (what: string): never => {
    throw new AvroDecodeError(`undecodable Avro body: ${what} at byte ${pos}`, 'bad-body');
  };
  const readLong = (): number => {
    let n = 0;
    let scale = 1;
    let b: number;
    do {
      if (pos >= bytes.length) fail('truncated number');
      b = bytes[pos++]!;
      n += (b & 0x7f) * scale;
      scale *= 128;
      if (scale > 2 ** 70) fail('number longer than 10 bytes');
    } while (b & 0x80);
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2; // zig-zag
  };
  const skip = (length: number) => {
    if (length < 0 || length > bytes.length - pos) fail('length beyond the record');
    pos += length;
  };
  const walk = (t: avro.Type): void => {
    const typed = t as avro.Type & {
      fields?: { type: avro.Type }[];
      itemsType?: avro.Type;
      valuesType?: avro.Type;
      types?: avro.Type[];
      size?: number;
      underlyingType?: avro.Type;
    };
    switch (t.typeName) {
      case 'null':
        return;
      case 'boolean':
        return skip(1);
      case 'int':
      case 'long':
      case 'enum':
        readLong();
        return;
      case 'float':
        return skip(4);
      case 'double':
        return skip(8);
      case 'string':
      case 'bytes':
        return skip(readLong());
      case 'fixed':
        return skip(typed.size!);
      case 'record':
      case 'error':
        for (const f of typed.fields!) walk(f.type);
        return;
      case 'array':
      case 'map':
        for (;;) {
          let count = readLong();
          if (count === 0) return;
          if (count < 0) {
            count = -count;
            readLong(); // the block's size in bytes
          }
          if (count > bytes.length - pos) fail('block count beyond the record');
          for (let i = 0; i < count; i++) {
            if (t.typeName === 'map') skip(readLong());
            walk(typed.itemsType ?? typed.valuesType!);
          }
        }
      default:
        if (typed.types) {
          const branch = typed.types[readLong()];
          if (!branch) fail('union index out of range');
          return walk(branch!);
        }
        if (typed.underlyingType) return walk(typed.underlyingType);
        fail(`unsupported type ${t.typeName}`);
    }
  };
  walk(type);
  if (pos !== bytes.length) fail('bytes left over');
}

/** Decodes an Avro binary body written with `writer` (bounds-checked first), resolved to `reader` when they differ. */
export function decodeBody<T>(reader: avro.Type, body: Buffer, writer: avro.Type = reader, resolver?: avro.Resolver): T {
  checkAvroBounds(writer, body);
  try {
    return (resolver ? reader.fromBuffer(body, resolver) : reader.fromBuffer(body)) as T;
  } catch (err) {
    throw new AvroDecodeError(`undecodable Avro body: ${(err as Error).message}`, 'bad-body');
  }
}

export interface Codec<T> {
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
  readonly type: avro.Type;
}

/**
 * Avro single-object encoding: C3 01, the 8-byte little-endian CRC-64-AVRO
 * fingerprint of the writer schema's canonical form, then the binary body.
 * Any reader can identify the schema without a registry.
 */
export function singleObjectCodec<T>(type: avro.Type): Codec<T> {
  const header = Buffer.alloc(10);
  header[0] = 0xc3;
  header[1] = 0x01;
  header.writeBigUInt64LE(crc64Avro(Buffer.from(canonicalForm(type))), 2);
  return {
    type,
    encode: (value) => Buffer.concat([header, type.toBuffer(value)]),
    decode(bytes) {
      if (bytes.length < 10 || bytes[0] !== 0xc3 || bytes[1] !== 0x01) {
        throw new AvroDecodeError('not Avro single-object encoded (no C3 01 marker)', 'bad-magic');
      }
      if (!bytes.subarray(2, 10).equals(header.subarray(2, 10))) {
        throw new AvroDecodeError(`unknown schema fingerprint ${bytes.subarray(2, 10).toString('hex')}`, 'unknown-fingerprint');
      }
      return decodeBody<T>(type, bytes.subarray(10));
    },
  };
}

/** Confluent wire format: magic byte 0, the 4-byte big-endian registry schema id, then the binary body. */
export function confluentCodec<T>(type: avro.Type, schemaId: number): Codec<T> {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return {
    type,
    encode: (value) => Buffer.concat([header, type.toBuffer(value)]),
    decode(bytes) {
      if (bytes.length < 5 || bytes[0] !== 0) throw new AvroDecodeError('not Confluent wire format (magic byte)', 'bad-magic');
      if (bytes.readInt32BE(1) !== schemaId) {
        throw new AvroDecodeError(`unknown schema id ${bytes.readInt32BE(1)}`, 'unknown-schema-id');
      }
      return decodeBody<T>(type, bytes.subarray(5));
    },
  };
}
