/**
 * Policies under `setpoint serve`, end to end: a revision a deny policy
 * blocks is refused as a whole with every violation listed and nothing of
 * it applied; the same policy in audit mode lets it through and counts; a
 * runtime policy catches a file chmod-ed to 0777 by hand (a Warning event and
 * a condition, recorded once per transition, even when remediation repairs it).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, json, startServe, type Serving } from './helpers.js';
import { docs, fileDoc, FAST, project, type Project } from './serve-kit.js';

/** Metrics open to anyone, so the test can read them. */
const SETTINGS = `${FAST}server:\n  metrics: public\n`;

interface Violations {
  totals: Array<{ policy: string; action: string; count: number; blocked: number }>;
  violations: Array<{
    policy: string;
    resourceId: string;
    action: string;
    phase: string;
    blocked: boolean;
    revisionId?: string;
    message: string;
  }>;
}

const violations = (p: Project) => json<Violations>(p.ok(['policies', '--json', '-n', '100']));

async function metric(serving: Serving, policy: string, action: string): Promise<number> {
  const url = /API on (http:\/\/\S+) /.exec(serving.stderr())?.[1];
  assert.ok(url, `serve printed its API address:\n${serving.stderr()}`);
  // A fresh connection: the CLI calls between scrapes block this process (spawnSync) past the server's
  // keep-alive timeout, and a reused socket the server has closed fails with "other side closed".
  const text = await (await fetch(`${url}/metrics`, { headers: { connection: 'close' } })).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`setpoint_policy_violations_total{policy="${policy}",action="${action}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const worldWritable = (action: string) => `kind: Policy
metadata: { name: no-world-writable }
spec:
  match: { kinds: [File] }
  rule: "!object.spec.mode.matches('[2367]$')"
  message: "\${object.metadata.name} must not be world-writable (mode \${object.spec.mode})"
  action: ${action}
`;

describe('serve: policies', () => {
  test('a deny policy refuses a revision as a whole, listing every violation; in audit mode it goes through and is counted', async (t) => {
    const p = project({}, SETTINGS);
    const conf = join(p.out, 'app.conf');
    const open = join(p.out, 'open');
    const shared = join(p.out, 'shared');
    p.write({ 'manifests/app.yaml': fileDoc('conf', conf, 'v1\n') });
    const serving = await startServe(t, p.dir, ['--listen', '127.0.0.1:0']);
    await eventually(
      async () => (await p.record('File/default/conf'))?.sync === 'InSync',
      'the first convergence',
    );

    // One revision: a change to conf, two world-writable files, and the policy that forbids them.
    p.write({
      'manifests/policies.yaml': worldWritable('deny'),
      'manifests/app.yaml': docs(
        fileDoc('conf', conf, 'v2\n'),
        fileDoc('open', open, 'o\n', { mode: '0777' }),
        fileDoc('shared', shared, 's\n', { mode: '0666' }),
      ),
    });
    const refused = await eventually(
      async () => (await p.events()).find((e) => e.reason === 'RevisionRefused'),
      'the revision to be refused',
    );
    assert.equal(refused.type, 'Warning');
    const denials = await eventually(async () => {
      const ev = (await p.events()).filter((e) => e.reason === 'PolicyViolation');
      return ev.length === 2 && ev;
    }, 'a PolicyViolation event per violation');
    assert.deepEqual(denials.map((e) => [e.type, e.resourceId]).sort(), [
      ['Warning', 'File/default/open'],
      ['Warning', 'File/default/shared'],
    ]);
    assert.match(
      denials.find((e) => e.resourceId === 'File/default/open')!.message,
      /^policy no-world-writable \(deny\): open must not be world-writable \(mode 0777\); revision \S+ refused$/,
    );
    const history = json<{
      revisions: Array<{
        id: string;
        admitted: boolean;
        diagnostics?: Array<{ code: string; resourceId?: string; file?: string; line?: number }>;
      }>;
    }>(p.ok(['history', '--json']));
    const rev = history.revisions.find((r) => !r.admitted);
    const revId = rev?.id;
    assert.deepEqual(
      rev?.diagnostics?.filter((d) => d.code === 'SETPOINT_POLICY_DENIED').map((d) => [d.resourceId, d.line]),
      [
        ['File/default/open', 9],
        ['File/default/shared', 17],
      ],
    );

    // Nothing of it applied: conf keeps v1, the new files do not exist; the previous revision stays in force.
    assert.equal(p.read(conf), 'v1\n');
    assert.equal(existsSync(open), false);
    assert.equal(existsSync(shared), false);

    const recorded = await eventually(() => {
      const v = violations(p).violations;
      return v.length === 2 && v;
    }, 'the violations to be recorded');
    assert.deepEqual(recorded.map((v) => [v.resourceId, v.action, v.phase, v.blocked, v.revisionId]).sort(), [
      ['File/default/open', 'deny', 'admission', true, revId],
      ['File/default/shared', 'deny', 'admission', true, revId],
    ]);
    await eventually(
      async () =>
        (await p.api((api) => api.audit({ limit: 100 }))).filter((e) => e.action === 'policy.deny').length ===
        2,
      'the blocking denials to be audited',
    );
    const audit = json<Array<{ action: string; resourceId?: string; revisionId?: string }>>(
      p.ok(['audit', '--json']),
    );
    assert.equal(audit.filter((e) => e.action === 'policy.deny').length, 2, '`audit --json` lists them');
    assert.ok(
      audit.some((e) => e.action === 'revision.refuse' && e.revisionId === revId),
      'the refusal is audited',
    );
    assert.equal(await metric(serving, 'no-world-writable', 'deny'), 2);

    // The same policy in audit mode: admitted and applied; the violations are recorded and counted, nothing blocked.
    p.write({ 'manifests/policies.yaml': worldWritable('audit') });
    await eventually(
      () => existsSync(open) && existsSync(shared) && p.read(conf) === 'v2\n',
      'the revision to be admitted and applied',
    );
    await eventually(
      () => violations(p).totals.find((x) => x.action === 'audit')?.count === 2,
      'the audit-mode violations to be counted',
    );
    const totals = violations(p).totals;
    assert.deepEqual(totals.map((x) => [x.action, x.count, x.blocked]).sort(), [
      ['audit', 2, 0],
      ['deny', 2, 2],
    ]);
    assert.equal(await metric(serving, 'no-world-writable', 'audit'), 2);
    const audits = (await p.events()).filter((e) => e.reason === 'PolicyAudit');
    assert.equal(audits.length, 2);
    assert.ok(
      audits.every((e) => e.type === 'Normal'),
      'audit mode is a dry-run: no Warning',
    );
    assert.equal((await p.events()).filter((e) => e.reason === 'RevisionRefused').length, 1);
  });

  test('runtime audit catches a file chmod-ed to 0777 by hand: a Warning event and a condition, once per transition, even though it is repaired', async (t) => {
    const p = project({}, SETTINGS);
    const motd = join(p.out, 'motd');
    const kept = join(p.out, 'kept');
    p.write({
      'manifests/policies.yaml': `kind: Policy
metadata: { name: no-world-writable-actual }
spec:
  match: { kinds: [File] }
  rule: "!actual.mode.matches('[2367]$')"
  message: "\${actual.path} is world-writable on disk (mode \${actual.mode})"
  action: warn
`,
      'manifests/files.yaml': docs(
        fileDoc('motd', motd, 'hello\n', { mode: '0644' }),
        fileDoc('kept', kept, 'kept\n', { mode: '0644', remediation: 'alert' }),
      ),
    });
    const serving = await startServe(t, p.dir, ['--listen', '127.0.0.1:0']);
    const condition = async (id: string) =>
      (await p.record(id))?.conditions.find((c) => c.type === 'PolicyCompliant');
    await eventually(
      async () =>
        (await condition('File/default/motd'))?.status === 'True' &&
        (await condition('File/default/kept'))?.status === 'True',
      'both files to be judged compliant',
    );
    assert.equal(
      (await p.events()).filter((e) => e.reason.startsWith('Policy')).length,
      0,
      'complying from the start raises nothing',
    );

    // Auto remediation: the violation is recorded, then the mode repaired.
    chmodSync(motd, 0o777);
    await eventually(
      async () => (await p.events('File/default/motd')).some((e) => e.reason === 'PolicyViolation'),
      'the violation to be seen',
    );
    await eventually(
      async () => p.mode(motd) === '0644' && (await condition('File/default/motd'))?.status === 'True',
      'the mode to be repaired and compliance restored',
    );
    const motdEvents = await p.events('File/default/motd');
    const violation = motdEvents.filter((e) => e.reason === 'PolicyViolation');
    assert.equal(violation.length, 1, 'one event for one transition');
    assert.equal(violation[0].type, 'Warning');
    assert.equal(
      violation[0].message,
      `policy no-world-writable-actual (warn): ${motd} is world-writable on disk (mode 0777)`,
    );
    const order = motdEvents.map((e) => e.reason);
    assert.ok(
      order.indexOf('PolicyViolation') < order.indexOf('Remediated'),
      `the violation is recorded before the repair: ${order.join(', ')}`,
    );
    assert.ok(
      order.indexOf('Remediated') < order.lastIndexOf('PolicyCompliant'),
      'then compliance is restored',
    );

    // Alert remediation: the file stays 0777, the condition stays False, and the transition is not recorded again on resyncs.
    chmodSync(kept, 0o777);
    await eventually(
      async () => (await condition('File/default/kept'))?.status === 'False',
      'the condition to turn False',
    );
    const c = (await condition('File/default/kept'))!;
    assert.equal(c.reason, 'PolicyViolation');
    assert.equal(c.message, `no-world-writable-actual (warn): ${kept} is world-writable on disk (mode 0777)`);
    // Two full resyncs finished after now: the second one began after the condition turned False.
    const since = Date.now();
    await eventually(
      async () =>
        (await p.events()).filter(
          (e) => e.reason === 'PassFinished' && e.message.startsWith('resync') && Date.parse(e.time) > since,
        ).length >= 2,
      'two resyncs to finish',
    );
    assert.equal(p.mode(kept), '0777');
    assert.equal(
      (await p.events('File/default/kept')).filter((e) => e.reason === 'PolicyViolation').length,
      1,
    );

    const recorded = violations(p).violations.filter((v) => v.phase === 'runtime');
    assert.deepEqual(recorded.map((v) => [v.resourceId, v.action]).sort(), [
      ['File/default/kept', 'warn'],
      ['File/default/motd', 'warn'],
    ]);
    assert.equal(await metric(serving, 'no-world-writable-actual', 'warn'), 2);
  });
});
