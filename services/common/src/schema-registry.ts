import avro from 'avsc';
import { z } from 'zod';
import { AvroDecodeError, confluentCodec, decodeBody, singleObjectCodec, type Codec } from './avro.js';
import { env } from './config.js';

/** Schema registry settings every service reads: credentials in their own variables, never in the URL. */
export const schemaRegistryEnvSchema = {
  SCHEMA_REGISTRY_URL: env
    .url(['http:', 'https:'])
    .refine((v) => !URL.canParse(v) || (new URL(v).username === '' && new URL(v).password === ''), {
      message: 'must not contain credentials: use SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD',
    })
    .optional(),
  SCHEMA_REGISTRY_USERNAME: env.optionalString(),
  SCHEMA_REGISTRY_PASSWORD: env.optionalString(),
};

export type SchemaRegistryEnv = z.infer<z.ZodObject<typeof schemaRegistryEnvSchema>>;

/** A URL or a credential problem must not echo the URL (it may carry a password) nor a server's body. */
export class SchemaRegistryError extends Error {
  override readonly name = 'SchemaRegistryError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SchemaRegistry {
  /** Registers `type` under `subject` (idempotent) and returns its id. */
  register(subject: string, type: avro.Type): Promise<number>;
  /** The writer schema of an id; cached. Undefined when the registry does not know it. */
  schema(id: number): Promise<avro.Type | undefined>;
}

/**
 * A client for a Confluent-compatible schema registry (Confluent, Apicurio's
 * ccompat API, Karapace) with HTTP basic auth from its own settings.
 */
export function createSchemaRegistry(cfg: { url: string; username?: string; password?: string }, fetchImpl: typeof fetch = fetch): SchemaRegistry {
  const base = cfg.url.replace(/\/$/, '');
  const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
  if (cfg.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`;
  const schemas = new Map<number, Promise<avro.Type | undefined>>();

  async function call(path: string, what: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetchImpl(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
    } catch (err) {
      throw new SchemaRegistryError(`schema registry unreachable (${what}): ${(err as Error).message}`, undefined, { cause: err });
    }
    if (res.status === 401 || res.status === 403)
      throw new SchemaRegistryError(
        `schema registry refused the credentials (${what}): HTTP ${res.status}; check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD`,
        res.status,
      );
    return res;
  }

  return {
    async register(subject, type) {
      const what = `registering subject ${subject}`;
      const res = await call(`/subjects/${encodeURIComponent(subject)}/versions`, what, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: JSON.stringify(type.schema({ exportAttrs: true })) }),
      });
      if (!res.ok) throw new SchemaRegistryError(`schema registry refused subject ${subject}: HTTP ${res.status}`, res.status);
      return ((await res.json()) as { id: number }).id;
    },
    schema(id) {
      let found = schemas.get(id);
      if (!found) {
        found = (async () => {
          const res = await call(`/schemas/ids/${id}`, `schema id ${id}`);
          if (res.status === 404) return undefined;
          if (!res.ok) throw new SchemaRegistryError(`schema registry failed on schema id ${id}: HTTP ${res.status}`, res.status);
          const body = (await res.json()) as { schema: string; schemaType?: string };
          if (body.schemaType && body.schemaType !== 'AVRO') return undefined;
          return avro.Type.forSchema(JSON.parse(body.schema) as avro.Schema);
        })();
        schemas.set(id, found);
        // A failure is not cached: the next batch asks again.
        found.catch(() => schemas.delete(id));
      }
      return found;
    },
  };
}

/** A codec for reading: decodes both framings; `prepare` fetches the writer schemas a batch needs first. */
export interface ReaderCodec<T> extends Codec<T> {
  /** Fetches (once) the registry schemas the Confluent-framed values refer to; throws while the registry is unreachable. */
  prepare(values: readonly (Buffer | null | undefined)[]): Promise<void>;
}

/**
 * Reads Avro single-object encoding (our schema's fingerprint) and the
 * Confluent wire format (schema id → writer schema from the registry,
 * resolved to our reader schema, so compatible evolution reads fine).
 * Encodes with `encodeWith` (the framing this service writes).
 */
export function readerCodec<T>(type: avro.Type, registry: SchemaRegistry | undefined, encodeWith: Codec<T> = singleObjectCodec<T>(type)): ReaderCodec<T> {
  const singleObject = singleObjectCodec<T>(type);
  const resolvers = new Map<number, { writer: avro.Type; resolver: avro.Resolver } | undefined>();
  const schemaId = (bytes: Buffer | null | undefined) => (bytes && bytes.length >= 5 && bytes[0] === 0 ? bytes.readInt32BE(1) : undefined);
  return {
    type,
    encode: (value) => encodeWith.encode(value),
    async prepare(values) {
      if (!registry) return;
      const missing = new Set<number>();
      for (const v of values) {
        const id = schemaId(v);
        if (id !== undefined && !resolvers.has(id)) missing.add(id);
      }
      for (const id of missing) {
        const writer = await registry.schema(id);
        let entry: { writer: avro.Type; resolver: avro.Resolver } | undefined;
        try {
          entry = writer && { writer, resolver: type.createResolver(writer) };
        } catch {
          entry = undefined; // incompatible with our schema: its records are dead letters
        }
        resolvers.set(id, entry);
      }
    },
    decode(bytes) {
      if (bytes.length > 0 && bytes[0] !== 0) return singleObject.decode(bytes);
      const id = schemaId(bytes);
      if (id === undefined) throw new AvroDecodeError('not Avro single-object encoded nor Confluent wire format', 'bad-magic');
      const entry = resolvers.get(id);
      if (!entry) {
        throw new AvroDecodeError(
          registry
            ? `schema id ${id} is unknown to the registry or incompatible with ours`
            : `Confluent wire format (schema id ${id}) but no SCHEMA_REGISTRY_URL is set`,
          'unknown-schema-id',
        );
      }
      return decodeBody<T>(type, bytes.subarray(5), entry.writer, entry.resolver);
    },
  };
}

/** The codec a service writes and reads `type` with: Confluent framing under `<topic>-value` with a registry, else single-object. */
export async function topicCodec<T>(type: avro.Type, topic: string, registry: SchemaRegistry | undefined): Promise<ReaderCodec<T>> {
  if (!registry) return readerCodec<T>(type, undefined);
  return readerCodec<T>(type, registry, confluentCodec<T>(type, await registry.register(`${topic}-value`, type)));
}

/** The registry client from the environment, or undefined when none is configured. */
export const schemaRegistryFrom = (cfg: SchemaRegistryEnv, fetchImpl?: typeof fetch): SchemaRegistry | undefined =>
  cfg.SCHEMA_REGISTRY_URL
    ? createSchemaRegistry({ url: cfg.SCHEMA_REGISTRY_URL, username: cfg.SCHEMA_REGISTRY_USERNAME, password: cfg.SCHEMA_REGISTRY_PASSWORD }, fetchImpl)
    : undefined;
