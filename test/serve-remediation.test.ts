/**
 * `setpoint serve` end to end, remediation policies: a real serve process
 * over real files. `auto` reverts drift at once, `alert` reports it and
 * leaves the file alone, `approve` waits for `setpoint approve` (and a
 * stale approval is refused).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually as pollUntil, startServe } from './helpers.js';
import {
  docs,
  fileDoc,
  indexOfEvent,
  project,
  replaceFile,
  type ApprovalRow,
  type Project,
} from './serve-kit.js';
import { plain } from './state-reader.js';

/**
 * Polls every 200 ms: most probes here open the state store (~15 ms of CPU
 * each), which at the default 50 ms would take a good part of a core from the
 * serve under test.
 */
function eventually<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
): Promise<T> {
  return pollUntil(probe, what, 60_000, 200);
}

/** Waits until serve has looked at `id` again after `since` (its record's lastObservedAt moved on). */
async function observedAgain(p: Project, id: string, since: string, what: string): Promise<void> {
  await eventually(async () => {
    const r = (await p.status()).find((x) => x.id === id) as { lastObservedAt?: string } | undefined;
    return r?.lastObservedAt !== undefined && r.lastObservedAt > since;
  }, what);
}

async function lastObserved(p: Project, id: string): Promise<string> {
  const r = (await p.status()).find((x) => x.id === id) as { lastObservedAt?: string } | undefined;
  assert.ok(r?.lastObservedAt, `${id} has been observed`);
  return r.lastObservedAt;
}

describe('serve: remediation', () => {
  test('auto: an edited managed file is reverted (content, then mode); events and convergence figures show it', async (t) => {
    const p = project({});
    const motd = join(p.out, 'motd');
    p.write({ 'manifests/web.yaml': fileDoc('motd', motd, 'hello\n', { mode: '0644' }) });
    await startServe(t, p.dir);
    await eventually(
      async () => (await p.record('File/default/motd'))?.sync === 'InSync',
      'the first convergence',
    );
    assert.equal(p.read(motd), 'hello\n');

    writeFileSync(motd, 'edited by hand\n');
    await eventually(
      async () => p.read(motd) === 'hello\n' && (await p.record('File/default/motd'))?.sync === 'InSync',
      'the content to be reverted',
    );
    chmodSync(motd, 0o666);
    await eventually(
      async () => p.mode(motd) === '0644' && (await p.record('File/default/motd'))?.sync === 'InSync',
      'the mode to be reverted',
    );
    assert.equal(p.read(motd), 'hello\n');

    const events = await eventually(async () => {
      const ev = await p.events('File/default/motd');
      const content = ev.findIndex(
        (e) => e.reason === 'DriftDetected' && e.type === 'Warning' && e.message.includes('spec.content'),
      );
      const mode = ev.findIndex(
        (e) => e.reason === 'DriftDetected' && e.type === 'Warning' && e.message.includes('spec.mode'),
      );
      assert.ok(content >= 0, 'a DriftDetected event names spec.content');
      assert.ok(mode > content, 'a later DriftDetected event names spec.mode');
      assert.ok(
        indexOfEvent(ev, 'Remediated', content + 1, 'Normal') > content,
        'Remediated follows the content drift',
      );
      assert.ok(
        indexOfEvent(ev, 'Remediated', mode + 1, 'Normal') > mode,
        'Remediated follows the mode drift',
      );
      return ev;
    }, 'DriftDetected then Remediated, twice');
    assert.equal(events[0].reason, 'Created', 'the first event is the creation');

    const human = p.ok(['status']);
    assert.match(human.stdout, /^File\/default\/motd\s+InSync\s+Healthy\s/m);
    assert.match(human.stdout, /^revision [0-9a-f]{16}: admitted .* ago, converged in \d+\.\d\ds$/m);
    assert.match(
      human.stdout,
      /^drift: \d+ episodes; detection p50 \S+ p95 \S+; remediation p50 \S+ p95 \S+; auto-remediated 100%$/m,
    );
    assert.match(human.stdout, /^drift ratio now: 0\.0%$/m);

    // The figures behind `status --json`'s convergence, read in this process (the human lines above are the CLI's).
    const data = {
      convergence: plain<{
        driftEpisodes: number;
        autoRemediationRatio?: number;
        driftRatio?: number;
        remediationMs: { count: number };
        revisions: Array<{ convergenceSeconds?: number }>;
      }>(await p.api((api) => api.convergence())),
    };
    assert.ok(
      data.convergence.driftEpisodes >= 2,
      `at least two drift episodes, got ${data.convergence.driftEpisodes}`,
    );
    assert.ok(data.convergence.remediationMs.count >= 2);
    assert.equal(data.convergence.autoRemediationRatio, 1);
    assert.equal(data.convergence.driftRatio, 0);
    assert.equal(typeof data.convergence.revisions[0]?.convergenceSeconds, 'number');
  });

  test('alert: drift is reported (Held in alert mode, Warning event) and not fixed; a later apply fixes it', async (t) => {
    const p = project({});
    const conf = join(p.out, 'app.conf');
    const control = join(p.out, 'control');
    p.write({
      'manifests/app.yaml': docs(
        fileDoc('conf', conf, 'workers = 4\n', { remediation: 'alert' }),
        fileDoc('control', control, 'auto\n'),
      ),
    });
    const serve = await startServe(t, p.dir);
    await eventually(
      async () => (await p.status()).filter((r) => r.sync === 'InSync').length === 2,
      'both files created (a new desired state is applied under alert too)',
    );
    assert.equal(p.read(conf), 'workers = 4\n');

    replaceFile(conf, 'workers = 64\n');
    const drifted = await eventually(async () => {
      const r = await p.record('File/default/conf');
      return r?.sync === 'Held' ? r : undefined;
    }, 'the alert resource to be recorded as Held (alert mode)');
    assert.ok(drifted.driftedSince, 'the record says since when it drifted');
    assert.equal(drifted.held?.reason, 'AlertMode');
    assert.match(drifted.held?.message ?? '', /remediation: alert.*spec\.content/);
    const ev = await p.events('File/default/conf');
    const detected = ev.find((e) => e.reason === 'DriftDetected');
    assert.equal(detected?.type, 'Warning');
    assert.match(detected.message, /spec\.content/);

    // Serve keeps working (it repairs the auto resource) and looks at the alert one again, without fixing it.
    const seen = await lastObserved(p, 'File/default/conf');
    writeFileSync(control, 'tampered\n');
    await eventually(() => p.read(control) === 'auto\n', 'the auto control file to be repaired');
    await observedAgain(p, 'File/default/conf', seen, 'a resync to look at the alert resource again');
    assert.equal(p.read(conf), 'workers = 64\n', 'an alert resource is never repaired by serve');
    assert.equal((await p.record('File/default/conf'))?.sync, 'Held');
    assert.equal(
      (await p.events('File/default/conf')).filter((e) => e.reason === 'Remediated' || e.reason === 'Updated')
        .length,
      0,
    );
    assert.match(p.ok(['status']).stdout, /^File\/default\/conf\s+Held\s.*remediation: alert/m);

    // The one-shot apply is the operator's fix (serve holds the state lock, so stop it first).
    const stopped = await serve.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    const applied = p.ok(['apply', '--yes']);
    assert.match(applied.stdout, /changed: 1 \(created 0, updated 1,/);
    assert.equal(p.read(conf), 'workers = 4\n');
    assert.equal((await p.record('File/default/conf'))?.sync, 'InSync');
  });

  test('approve: actions wait for `setpoint approve`; `reject` leaves the file alone', async (t) => {
    const p = project({});
    const conf = join(p.out, 'db.conf');
    const id = 'File/default/db';
    p.write({
      'manifests/db.yaml': fileDoc('db', conf, 'max_connections = 100\n', { remediation: 'approve' }),
    });
    await startServe(t, p.dir);

    // Even the creation waits for a person.
    const create = await eventually(
      async () => (await p.approvals()).find((a) => a.resourceId === id),
      'an approval for the creation',
    );
    assert.equal(create.op, 'create');
    assert.equal(existsSync(conf), false, 'nothing is created before approval');
    const ok = p.ok(['approve', create.id]);
    assert.match(ok.stdout, new RegExp(`approved ${create.id}: create ${id}`));
    await eventually(
      async () => existsSync(conf) && (await p.record(id))?.sync === 'InSync',
      'the approved creation',
    );
    assert.equal(p.read(conf), 'max_connections = 100\n');

    // Drift: proposed with its diff, not applied.
    replaceFile(conf, 'max_connections = 5\n');
    const fix = await eventually(
      async () => (await p.approvals()).find((a) => a.resourceId === id && a.op === 'update'),
      'an approval for the repair',
    );
    const listed = p.ok(['approvals']);
    assert.match(listed.stdout, new RegExp(`^${fix.id}  update ${id}  \\(`, 'm'));
    assert.match(listed.stdout, /-max_connections = 5/);
    assert.match(listed.stdout, /\+max_connections = 100/);
    assert.match(listed.stdout, /1 waiting\./);
    const seen = await lastObserved(p, id);
    p.ok(['sync']);
    await observedAgain(p, id, seen, 'serve to look at the resource again');
    assert.equal(p.read(conf), 'max_connections = 5\n', 'the file stays drifted while the approval waits');
    const waiting = await p.record(id);
    assert.equal(waiting?.sync, 'Drifted');
    assert.equal(waiting?.approvalId, fix.id);
    assert.equal((await p.approvals()).length, 1, 'one approval, not a new one per look');

    p.ok(['approve', fix.id, '-m', 'checked']);
    await eventually(
      async () => p.read(conf) === 'max_connections = 100\n' && (await p.record(id))?.sync === 'InSync',
      'the approved repair',
    );
    assert.match((await p.events(id)).find((e) => e.reason === 'Remediated')?.message ?? '', /approved by /);
    assert.deepEqual(await p.approvals(), []);

    // Reject: the resource is left as it is.
    replaceFile(conf, 'max_connections = 7\n');
    const next = await eventually(
      async () => (await p.approvals()).find((a) => a.resourceId === id),
      'an approval for the second repair',
    );
    assert.notEqual(next.id, fix.id);
    const rejected = p.ok(['reject', next.id, '-m', 'intended']);
    assert.match(rejected.stdout, new RegExp(`rejected ${next.id}: update ${id}`));
    const afterReject = await lastObserved(p, id);
    p.ok(['sync']);
    await observedAgain(p, id, afterReject, 'serve to look at the rejected resource again');
    assert.equal(p.read(conf), 'max_connections = 7\n', 'a rejected action is not applied');
    assert.deepEqual(await p.approvals(), [], 'and not proposed again for the same change');
    // What `approvals --all --json` and `audit --json` print, read in this process (the tables are the CLI's).
    const all = plain<ApprovalRow[]>(await p.api((api) => api.approvals(undefined)));
    const stateOf = (approvalId: string) => all.find((a) => a.id === approvalId)?.state;
    assert.deepEqual(
      [stateOf(create.id), stateOf(fix.id), stateOf(next.id)],
      ['applied', 'applied', 'rejected'],
    );
    const table = p.ok(['approvals', '--all']).stdout;
    assert.match(table, new RegExp(`^${next.id}\\s+${id}\\s+update\\s+rejected\\s+.*\\s+intended$`, 'm'));
    assert.match(
      (await p.record(id))?.conditions.find((c) => c.type === 'Approved')?.reason ?? '',
      /Rejected/,
    );
    // Rejected on purpose: Held with the reason, not failing.
    const held = await p.record(id);
    assert.equal(held?.sync, 'Held');
    assert.equal(held?.held?.reason, 'ApprovalRejected');
    assert.match(held?.held?.message ?? '', new RegExp(`approval ${next.id} was rejected by .*: intended`));

    // The audit trail tells the story: serve proposed, a person decided, serve acted on their behalf.
    const approver = (all.find((a) => a.id === create.id) as { decidedBy?: string } | undefined)?.decidedBy;
    assert.ok(approver, 'the approval records who approved it');
    const audit = plain<
      Array<{
        actor: string;
        action: string;
        result: string;
        diffDigest?: string;
        detail?: { approval?: string };
      }>
    >(await p.api((api) => api.audit({ resourceId: id, limit: 100 })));
    const line = (e: (typeof audit)[number]) =>
      `${e.actor === approver ? 'approver' : e.actor} ${e.action} ${e.result} ${e.detail?.approval ?? '-'}`;
    assert.deepEqual(
      audit.map(line).sort(),
      [
        `approver approval.approve approved ${create.id}`,
        `approver approval.approve approved ${fix.id}`,
        `approver approval.reject rejected ${next.id}`,
        `approver serve.create succeeded ${create.id}`,
        `approver serve.update succeeded ${fix.id}`,
        `setpoint-serve approval.request pending ${create.id}`,
        `setpoint-serve approval.request pending ${fix.id}`,
        `setpoint-serve approval.request pending ${next.id}`,
      ].sort(),
    );
    // What was approved is what was applied: the same diff digest on the request, the decision and the action.
    const digests = (approval: string) =>
      new Set(audit.filter((e) => e.detail?.approval === approval).map((e) => e.diffDigest?.slice(0, 64)));
    assert.equal(digests(fix.id).size, 1, JSON.stringify(audit));
    p.ok(['audit', 'verify']);
  });

  test('a stale approval is refused when the desired state changed; the fresh one applies', async (t) => {
    const p = project({});
    const conf = join(p.out, 'limits.conf');
    const id = 'File/default/limits';
    p.write({
      'manifests/limits.yaml': fileDoc('limits', conf, 'nofile = 1024\n', { remediation: 'approve' }),
    });
    await startServe(t, p.dir);
    const first = await eventually(
      async () => (await p.approvals()).find((a) => a.resourceId === id),
      'an approval for the creation',
    );

    // Edit the manifest before approving: a new revision, a new plan.
    p.write({
      'manifests/limits.yaml': fileDoc('limits', conf, 'nofile = 65536\n', { remediation: 'approve' }),
    });
    const fresh = await eventually(
      async () => (await p.approvals()).find((a) => a.resourceId === id && a.id !== first.id),
      'a fresh approval for the new desired state',
    );
    const refused = p.run(['approve', first.id]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`error: approval ${first.id} is stale`));
    assert.equal(existsSync(conf), false, 'the stale approval applied nothing');

    assert.match(p.ok(['approvals']).stdout, /\+nofile = 65536/);
    p.ok(['approve', fresh.id]);
    await eventually(
      () => existsSync(conf) && p.read(conf) === 'nofile = 65536\n',
      'the fresh approval to be applied',
    );
  });

  test('a stale approval is refused when the actual state changed since it was proposed', async (t) => {
    const p = project({});
    const conf = join(p.out, 'limits.conf');
    const id = 'File/default/limits';
    p.write({
      'manifests/limits.yaml': fileDoc('limits', conf, 'nofile = 1024\n', { remediation: 'approve' }),
    });
    writeFileSync(conf, 'nofile = 1\n');
    const serve = await startServe(t, p.dir);
    const proposed = await eventually(
      async () => (await p.approvals()).find((a) => a.resourceId === id),
      'an approval for the update',
    );
    assert.equal(proposed.op, 'update');
    // serve is stopped so that the approve command's own check (not serve retiring the approval) sees the change.
    assert.equal((await serve.stop()).code, 0);
    replaceFile(conf, 'nofile = 2\n');

    const refused = p.run(['approve', proposed.id]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `error: approval ${proposed.id} is stale: the desired or actual state of ${id} changed since it was proposed`,
      ),
    );
    assert.match(refused.stderr, /hint: serve proposes a fresh action/);
    assert.equal(p.read(conf), 'nofile = 2\n');
    const again = p.run(['approve', proposed.id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is stale, not pending/);

    await startServe(t, p.dir);
    const fresh = await eventually(
      async () => (await p.approvals()).find((a) => a.resourceId === id),
      'a fresh approval',
    );
    assert.notEqual(fresh.id, proposed.id);
    const listed = p.ok(['approvals']).stdout;
    assert.match(listed, /-nofile = 2/);
    p.ok(['approve', fresh.id]);
    await eventually(() => p.read(conf) === 'nofile = 1024\n', 'the fresh approval to be applied');
  });
});
