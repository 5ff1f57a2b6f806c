import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig, type Informer, type KubernetesObject, type ObjectCache, type V1ConfigMap } from '@kubernetes/client-node';
import { pino } from 'pino';
import { createInformer, keyOf, splitKey } from './informer.js';

type Callback = (arg: never) => void;

/** Stands in for client-node's ListWatch: each start() runs the next scripted outcome. */
function fakeListWatch(outcomes: ('ok' | 'list-fails' | 'throws')[]) {
  const callbacks = new Map<string, Callback[]>();
  const objects = new Map<string, V1ConfigMap>();
  let starts = 0;
  const emit = (verb: string, arg: unknown) => callbacks.get(verb)?.forEach((cb) => cb(arg as never));
  const informer: Informer<V1ConfigMap> & ObjectCache<V1ConfigMap> = {
    on: (verb: string, cb: Callback) => void callbacks.set(verb, [...(callbacks.get(verb) ?? []), cb]),
    off: () => undefined,
    async start() {
      const outcome = outcomes[starts++] ?? 'ok';
      if (outcome === 'throws') throw new Error('no current cluster');
      // Like ListWatch: a failed list emits `error` and start() still resolves.
      if (outcome === 'list-fails') emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    },
    async stop() {},
    list: () => [...objects.values()],
    get: (name, namespace) => objects.get(`${namespace}/${name}`),
  };
  return {
    informer,
    starts: () => starts,
    /** Fails the open watch, the way a dropped connection does. */
    breakWatch: () => emit('error', new Error('socket hang up')),
    change(verb: 'add' | 'update' | 'delete', obj: V1ConfigMap) {
      if (verb === 'delete') objects.delete(keyOf(obj));
      else objects.set(keyOf(obj), obj);
      emit(verb, obj);
    },
  };
}

function capture() {
  const lines: { msg: string; failures?: number }[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) }) };
}

const cm = (name: string, data: Record<string, string> = {}): V1ConfigMap => ({ metadata: { name, namespace: 'ns' }, data });

describe('informer', () => {
  it('restarts after every failure until the first list succeeds, logging the first and every tenth failure', async () => {
    const fake = fakeListWatch([...Array<'list-fails'>(11).fill('list-fails'), 'throws', 'ok']);
    const { lines, logger } = capture();
    const informer = createInformer({
      kc: new KubeConfig(),
      path: '/api/v1/configmaps',
      list: () => Promise.reject(new Error('unused')),
      logger,
      onChange: () => undefined,
      backoff: { initialMs: 1, maxMs: 2 },
      makeInformer: () => fake.informer,
    });
    await informer.start();
    assert.equal(fake.starts(), 13);
    assert.equal(informer.synced(), true);
    assert.deepEqual(
      lines.map((l) => [l.msg, l.failures]),
      [
        ['informer stopped; restarting it', 1],
        ['informer stopped; restarting it', 10],
        ['informer watching again', 12],
      ],
    );
    await informer.stop();
    assert.equal(informer.synced(), false);
  });

  it('passes adds, updates and deletes to onChange, survives a throwing onChange, and restarts after a broken watch', async () => {
    const fake = fakeListWatch(['ok']);
    const seen: string[] = [];
    const informer = createInformer<V1ConfigMap>({
      kc: new KubeConfig(),
      path: '/api/v1/namespaces/ns/configmaps',
      list: () => Promise.reject(new Error('unused')),
      logger: pino({ level: 'silent' }),
      onChange: (obj) => {
        seen.push(`${keyOf(obj)}=${obj.data?.v ?? '-'}`);
        if (obj.data?.v === 'boom') throw new Error('handler bug');
      },
      backoff: { initialMs: 1, maxMs: 1 },
      makeInformer: () => fake.informer,
    });
    await informer.start();
    fake.change('add', cm('a', { v: '1' }));
    fake.change('update', cm('a', { v: 'boom' }));
    fake.change('update', cm('a', { v: '2' }));
    assert.deepEqual(informer.get('a', 'ns')?.data, { v: '2' });
    fake.change('delete', cm('a', { v: '2' }));
    assert.deepEqual(seen, ['ns/a=1', 'ns/a=boom', 'ns/a=2', 'ns/a=2']);
    assert.deepEqual(informer.list(), []);

    fake.breakWatch();
    assert.equal(informer.synced(), false);
    await sleep(20);
    assert.equal(fake.starts(), 2);
    assert.equal(informer.synced(), true);
    await informer.stop();
    fake.breakWatch();
    await sleep(20);
    assert.equal(fake.starts(), 2, 'a stopped informer is not restarted');
  });

  it('start() rejects when stopped before the first list', async () => {
    const fake = fakeListWatch(Array<'list-fails'>(100).fill('list-fails'));
    const informer = createInformer({
      kc: new KubeConfig(),
      path: '/api/v1/configmaps',
      list: () => Promise.reject(new Error('unused')),
      logger: pino({ level: 'silent' }),
      onChange: () => undefined,
      backoff: { initialMs: 1000, maxMs: 1000 },
      makeInformer: () => fake.informer,
    });
    const started = informer.start();
    await informer.stop();
    await assert.rejects(started, /stopped before its first list/);
  });
});

describe('keys', () => {
  it('are namespace/name, or the name of a cluster-scoped object, and split back', () => {
    const objects: KubernetesObject[] = [{ metadata: { name: 'a', namespace: 'ns' } }, { metadata: { name: 'node-1' } }];
    assert.deepEqual(objects.map(keyOf), ['ns/a', 'node-1']);
    assert.deepEqual(splitKey('ns/a'), { namespace: 'ns', name: 'a' });
    assert.deepEqual(splitKey('node-1'), { name: 'node-1' });
  });
});
