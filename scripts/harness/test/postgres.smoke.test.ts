import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { harnessDir, startPostgres, type PostgresServer } from '../src/index.js';

describe('harness: PostgreSQL from Debian', () => {
  let server: PostgresServer | undefined;
  after(() => server?.stop());

  const connect = async (s: PostgresServer, password = s.password) => {
    const client = new pg.Client({ host: s.host, port: s.port, user: s.user, database: s.database, password });
    await client.connect();
    return client;
  };

  it('starts on a free loopback port with password authentication, survives an outage and keeps its data', async () => {
    server = await startPostgres(harnessDir());
    assert.match(server.url, /^postgres:\/\/tickerflow@127\.0\.0\.1:\d+\/tickerflow$/);
    const client = await connect(server);
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    assert.match(rows[0]!.version, /^PostgreSQL \d+/);
    await client.query('CREATE TABLE kept (n int)');
    await client.query('INSERT INTO kept VALUES (42)');
    await client.end();
    await assert.rejects(connect(server, 'wrong'), /password authentication failed/);

    await server.stop();
    await assert.rejects(connect(server), /ECONNREFUSED/);
    await server.restart();
    const again = await connect(server);
    assert.deepEqual((await again.query('SELECT n FROM kept')).rows, [{ n: 42 }]);
    await again.end();
  });
});
