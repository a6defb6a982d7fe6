/**
 * GET /api/v1/watch (server-sent events) against a real serve: a status
 * change and the events arrive as they happen; a client resumes with
 * Last-Event-ID; a namespaced token's stream holds only its namespaces.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { eventually } from './helpers.js';
import { FAST, project, type Project } from './serve-kit.js';
import { call, createToken, nsFile, openSse, startApi, suiteOwner, type ApiServing } from './server-kit.js';

describe('HTTP API: watch (server-sent events)', () => {
  let p: Project;
  let api: ApiServing;
  let viewer: string;
  let webViewer: string;
  const owner = suiteOwner();

  before(async () => {
    p = project({}, FAST);
    p.write({
      'manifests/web.yaml':
        [
          nsFile('web', 'banner', join(p.out, 'banner'), 'banner\n', 'alert'),
          nsFile('web', 'motd', join(p.out, 'motd'), 'hello\n'),
        ].join('\n---\n') + '\n',
      'manifests/db.yaml': nsFile('db', 'conf', join(p.out, 'conf'), 'db\n', 'alert') + '\n',
    });
    viewer = createToken(p, 'viewer', 'viewer');
    webViewer = createToken(p, 'web-viewer', 'viewer', ['web']);
    api = await startApi(owner, p);
    await eventually(
      async () => (await p.status()).length === 3 && (await p.status()).every((r) => r.sync === 'InSync'),
      'three resources in sync',
    );
  });

  it('delivers a status change and its events as they happen, each event with its sequence number as the SSE id', async () => {
    const sse = await openSse(api.url, '/api/v1/watch', viewer);
    try {
      const hello = await sse.waitFor((m) => m.event === 'hello', 'hello');
      assert.match(String(hello.data.revision), /^[0-9a-f]{16}$/);
      writeFileSync(join(p.out, 'banner'), 'drifted\n');
      const status = await sse.waitFor(
        (m) => m.event === 'status' && m.data.id === 'File/web/banner' && m.data.sync === 'Held',
        'banner Held (alert mode)',
      );
      assert.equal(status.data.health, 'Healthy');
      assert.ok(typeof status.data.time === 'string');
      const drift = await sse.waitFor(
        (m) =>
          m.event === 'event' && m.data.reason === 'DriftDetected' && m.data.resourceId === 'File/web/banner',
        'DriftDetected',
      );
      assert.equal(drift.data.type, 'Warning');
      assert.match(String(drift.data.message), /spec\.content/);
      assert.equal(drift.id, String(drift.data.seq), 'the SSE id is the event sequence number');

      // An auto resource: drift, then repaired; the stream shows both events.
      writeFileSync(join(p.out, 'motd'), 'tampered\n');
      const detected = await sse.waitFor(
        (m) =>
          m.event === 'event' && m.data.reason === 'DriftDetected' && m.data.resourceId === 'File/web/motd',
        'motd DriftDetected',
      );
      const fixed = await sse.waitFor(
        (m) => m.event === 'event' && m.data.reason === 'Remediated' && m.data.resourceId === 'File/web/motd',
        'motd Remediated',
      );
      assert.ok(Number(fixed.id) > Number(detected.id), 'in order');
      const seqs = sse.messages.filter((m) => m.event === 'event').map((m) => Number(m.id));
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        'events arrive in sequence order',
      );
      assert.equal(new Set(seqs).size, seqs.length, 'no event twice');
    } finally {
      sse.close();
    }
  });

  it('a reconnecting client resumes after Last-Event-ID (or ?after=) without missing or repeating events', async () => {
    const all = await call<{ items: Array<{ seq: number }> }>(api.url, '/api/v1/events?limit=1000', {
      token: viewer,
    });
    const seqs = all.body.items.map((e) => e.seq);
    assert.ok(seqs.length >= 4, 'some history to replay');
    const from = seqs[seqs.length - 4];
    const sse = await openSse(api.url, '/api/v1/watch', viewer, { 'last-event-id': String(from) });
    try {
      const last = seqs[seqs.length - 1];
      await sse.waitFor((m) => m.event === 'event' && Number(m.id) === last, `replay up to ${last}`);
      const replayed = sse.messages.filter((m) => m.event === 'event').map((m) => Number(m.id));
      assert.deepEqual(replayed.slice(0, 3), seqs.slice(-3), 'exactly the events after Last-Event-ID');
    } finally {
      sse.close();
    }
    const q = await openSse(api.url, `/api/v1/watch?after=${from}&snapshot=true`, viewer);
    try {
      await q.waitFor(
        (m) => m.event === 'event' && Number(m.id) === seqs[seqs.length - 1],
        'replay with ?after=',
      );
      const snap = q.messages.filter((m) => m.event === 'status').map((m) => m.data.id);
      assert.deepEqual(
        snap.slice(0, 3),
        ['File/db/conf', 'File/web/banner', 'File/web/motd'],
        'snapshot: one status per resource',
      );
    } finally {
      q.close();
    }
  });

  it('a namespaced token watches only its namespaces', async () => {
    const admin = await openSse(api.url, '/api/v1/watch', viewer);
    const web = await openSse(api.url, '/api/v1/watch', webViewer);
    try {
      await web.waitFor((m) => m.event === 'hello', 'hello');
      writeFileSync(join(p.out, 'conf'), 'db drifted\n');
      await admin.waitFor(
        (m) =>
          m.event === 'event' && m.data.resourceId === 'File/db/conf' && m.data.reason === 'DriftDetected',
        'db drift seen unscoped',
      );
      writeFileSync(join(p.out, 'motd'), 'tampered again\n');
      // Events arrive in sequence order, so by the time the web repair arrives the db drift would have.
      await web.waitFor(
        (m) => m.event === 'event' && m.data.resourceId === 'File/web/motd' && m.data.reason === 'Remediated',
        'web repair',
      );
      const foreign = web.messages.filter(
        (m) => m.event !== 'hello' && !String(m.data.id ?? m.data.resourceId).startsWith('File/web/'),
      );
      assert.deepEqual(foreign, [], 'nothing of namespace db, nor events without a resource');
      const filtered = await openSse(api.url, '/api/v1/watch?resource=File/db/conf&snapshot=true', viewer);
      try {
        const s = await filtered.waitFor((m) => m.event === 'status', 'snapshot of one resource');
        assert.equal(s.data.id, 'File/db/conf');
        assert.equal(s.data.sync, 'Held');
      } finally {
        filtered.close();
      }
    } finally {
      admin.close();
      web.close();
    }
  });
});
