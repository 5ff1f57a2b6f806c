import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { crossFieldChecks, parseConfig } from './config.js';
import { databaseConnection, databaseEnvRefinement, databaseEnvSchema } from './database.js';

const schema = (required: boolean) => z.object(databaseEnvSchema(required)).superRefine(databaseEnvRefinement, crossFieldChecks);

describe('database settings', () => {
  it('splits the URL, reads the password from its file, and never takes it from the URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'db-'));
    writeFileSync(join(dir, 'password'), 's3cret-from-file\n');
    const cfg = parseConfig(schema(true), { DATABASE_URL: 'postgres://tick%40flow@db.example:6543/history', DATABASE_PASSWORD_FILE: join(dir, 'password') });
    const c = databaseConnection(cfg, 'test')!;
    assert.deepEqual([c.host, c.port, c.user, c.database, c.password, c.ssl], ['db.example', 6543, 'tick@flow', 'history', 's3cret-from-file', false]);
    assert.throws(
      () => parseConfig(schema(true), { DATABASE_URL: 'postgres://u:hunter22@db/x' }),
      (err: Error) => /DATABASE_URL: must not hold the password/.test(err.message) && !err.message.includes('hunter22'),
    );
  });

  it('refuses two password sources, a CA without verify-full, and a missing URL only when required', () => {
    assert.throws(
      () => parseConfig(schema(true), { DATABASE_URL: 'postgres://u@db/x', DATABASE_PASSWORD: 'a', DATABASE_PASSWORD_FILE: '/f', DATABASE_SSL_CA_FILE: '/ca' }),
      (err: Error) =>
        /DATABASE_PASSWORD_FILE: set DATABASE_PASSWORD or DATABASE_PASSWORD_FILE, not both/.test(err.message) && /DATABASE_SSL_CA_FILE/.test(err.message),
    );
    assert.throws(() => parseConfig(schema(true), {}), /DATABASE_URL/);
    assert.equal(databaseConnection(parseConfig(schema(false), {}), 'test'), undefined);
    const strict = databaseConnection(parseConfig(schema(false), { DATABASE_URL: 'postgresql://u@db/x', DATABASE_SSL: 'require' }), 'test')!;
    assert.deepEqual([strict.port, strict.ssl], [5432, { rejectUnauthorized: false }]);
  });
});
