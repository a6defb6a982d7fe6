/**
 * The audit trail end to end, on real CLI-made projects: `audit` lists,
 * `audit verify` passes on an untouched log and names the entry when the
 * SQLite file is edited behind setpoint's back (a second better-sqlite3
 * connection: a row edited, one deleted, two swapped, the last deleted);
 * `audit export` writes a file that verifies in another folder with no
 * state, and fails there when one byte is changed or a line removed. Also
 * that one-shot mutations are all audited: refused plans, prunes, a lock
 * taken over from a dead run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { verifyAuditFile } from '../src/api/index.js';
import type { AuditEntry } from '../src/store/index.js';
import { cli, json, tempDir, writeFiles, type CliResult } from './helpers.js';

interface Project {
  dir: string;
  db: string;
  run(args: string[]): CliResult;
}

/** `setpoint init`, more manifests, three applies: 7 audit entries by two actors. */
function project(): Project {
  const dir = tempDir('setpoint-audit-');
  const run = (args: string[]) => cli(args, { cwd: dir });
  ok(run(['init', '.']), 'init');
  writeFiles(dir, {
    'manifests/more.yaml': `kind: File
metadata: { name: b }
spec: { path: ${join(dir, 'out', 'b.txt')}, content: "b1\\n" }
dependsOn: [Directory/out]
---
kind: File
metadata: { name: c }
spec: { path: ${join(dir, 'out', 'c.txt')}, content: "c1\\n" }
dependsOn: [Directory/out]
lifecycle: { prune: true }
`,
  });
  ok(run(['apply', '--yes']), 'first apply'); // 4 creates
  // The content only: the temp folder's random name may contain "b1" too.
  writeFiles(dir, {
    'manifests/more.yaml': readFileSync(join(dir, 'manifests/more.yaml'), 'utf8').replace(
      'content: "b1',
      'content: "b2',
    ),
    'manifests/example.yaml': readFileSync(join(dir, 'manifests/example.yaml'), 'utf8').replace(
      'hello from setpoint',
      'hello again',
    ),
  });
  ok(run(['apply', '--yes', '--actor', 'alice']), 'second apply'); // 2 updates
  writeFiles(dir, {
    'manifests/more.yaml': readFileSync(join(dir, 'manifests/more.yaml'), 'utf8').split('---')[0],
  });
  ok(run(['apply', '--yes']), 'prune'); // 1 delete
  return { dir, db: join(dir, '.setpoint', 'state.db'), run };
}

let template: string | undefined;

/**
 * A copy of one `project()`, made once per file (four CLI runs fewer per
 * test): for tests that read and tamper with the audit trail but apply
 * nothing (its manifests name the first project's paths).
 */
function projectCopy(): Project {
  template ??= project().dir;
  const dir = tempDir('setpoint-audit-');
  cpSync(template, dir, { recursive: true });
  return { dir, db: join(dir, '.setpoint', 'state.db'), run: (args: string[]) => cli(args, { cwd: dir }) };
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Runs `edit` on a second connection to the state file, as someone editing it behind setpoint's back. */
function tamper(p: Project, edit: (db: Database.Database) => void): void {
  const db = new Database(p.db);
  try {
    edit(db);
  } finally {
    db.close();
  }
}

const COLUMNS = [
  'time',
  'actor',
  'action',
  'resource_id',
  'revision_id',
  'diff_digest',
  'result',
  'detail',
  'prev_hash',
  'hash',
];

describe('audit trail', () => {
  test('lists entries with filters, and verifies an untouched log', () => {
    const p = projectCopy();
    const all = json<AuditEntry[]>(ok(p.run(['audit', '--json']), 'audit'));
    assert.deepEqual(
      all.map((e) => e.seq),
      [1, 2, 3, 4, 5, 6, 7],
    );
    const me = all[0].actor;
    assert.deepEqual(
      all.map((e) => `${e.actor === me ? 'me' : e.actor} ${e.action} ${e.result}`),
      [
        ...Array<string>(4).fill('me apply.create succeeded'),
        'alice apply.update succeeded',
        'alice apply.update succeeded',
        'me apply.delete succeeded',
      ],
    );
    for (const e of all) {
      assert.match(e.time, /^\d{4}-\d\d-\d\dT/);
      assert.match(e.resourceId ?? '', /^(File|Directory)\/default\//);
      assert.match(e.revisionId ?? '', /^[0-9a-f]{16}$/);
      assert.match(e.diffDigest ?? '', /^[0-9a-f]{64}$/);
    }
    assert.notEqual(all[0].revisionId, all[4].revisionId, 'each apply records its own revision');
    assert.deepEqual(all[6].detail, { pruned: true });
    assert.equal(all[6].resourceId, 'File/default/c');

    const byAlice = json<AuditEntry[]>(p.run(['audit', '--actor', 'alice', '--json']));
    assert.deepEqual(
      byAlice.map((e) => e.seq),
      [5, 6],
    );
    assert.deepEqual(
      json<AuditEntry[]>(p.run(['audit', '--resource', 'File/b', '--json'])).map((e) => e.action),
      ['apply.create', 'apply.update'],
    );
    assert.deepEqual(
      json<AuditEntry[]>(p.run(['audit', '--action', 'apply.delete', '--json'])).map((e) => e.seq),
      [7],
    );
    assert.deepEqual(
      json<AuditEntry[]>(p.run(['audit', '--limit', '2', '--json'])).map((e) => e.seq),
      [6, 7],
    );
    assert.deepEqual(
      json(p.run(['audit', '--since', all[4].time, '--action', 'apply.update', '--json'])),
      byAlice,
    );
    assert.deepEqual(json(p.run(['audit', '--since', '1h', '--json'])), all);
    assert.deepEqual(json(p.run(['audit', '--since', '2999-01-01', '--json'])), []);
    const bad = p.run(['audit', '--since', 'yesterday']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a time or a duration: yesterday/);

    const table = ok(p.run(['audit']), 'audit table').stdout.split('\n');
    assert.match(table[0], /^SEQ +TIME +ACTOR +ACTION +RESOURCE +REVISION +RESULT +HASH$/);
    assert.match(
      table[5],
      new RegExp(
        `^5 +${all[4].time} +alice +apply\\.update +\\S+ +${all[4].revisionId!.slice(0, 12)} +succeeded +${all[4].hash.slice(0, 12)}$`,
      ),
    );

    const v = ok(p.run(['audit', 'verify']), 'verify');
    assert.equal(v.stdout.trim(), `the audit trail: intact, 7 entries, head ${all[6].hash}`);
    assert.deepEqual(json(ok(p.run(['audit', 'verify', '--json']), 'verify --json')), {
      apiVersion: 'setpoint.dev/v1',
      ok: true,
      entries: 7,
      head: all[6].hash,
    });
  });

  test('names the entry whose row was edited', () => {
    const p = projectCopy();
    tamper(p, (db) => db.prepare("UPDATE audit SET actor = 'mallory' WHERE seq = 3").run());
    const r = p.run(['audit', 'verify']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^the audit trail: broken at entry 3: was edited: its content no longer matches its hash$/m,
    );
    assert.match(r.stdout, /^ {2}entry 3 now reads: \S+ mallory apply\.create /m);
    const v = json<{ ok: boolean; firstBad: { seq: number }; entry: AuditEntry }>(
      p.run(['audit', 'verify', '--json']),
    );
    assert.equal(v.ok, false);
    assert.equal(v.firstBad.seq, 3);
    assert.equal(v.entry.actor, 'mallory');
  });

  test('names the entry whose row was deleted', () => {
    const p = projectCopy();
    tamper(p, (db) => db.prepare('DELETE FROM audit WHERE seq = 4').run());
    const r = p.run(['audit', 'verify']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^the audit trail: broken at entry 4: entries 4\.\.4 were removed$/m);
  });

  test('names the first of two rows that were swapped', () => {
    const p = projectCopy();
    tamper(p, (db) => {
      const get = db.prepare(`SELECT ${COLUMNS.join(', ')} FROM audit WHERE seq = ?`);
      const set = db.prepare(`UPDATE audit SET ${COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE seq = ?`);
      const [two, five] = [get.get(2) as Record<string, unknown>, get.get(5) as Record<string, unknown>];
      db.transaction(() => {
        set.run(...COLUMNS.map((c) => five[c]), 2);
        set.run(...COLUMNS.map((c) => two[c]), 5);
      })();
    });
    const r = p.run(['audit', 'verify']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^the audit trail: broken at entry 2: does not follow entry 1/m);
  });

  test('names the last entry when it was deleted, and refuses to export a broken trail', () => {
    const p = projectCopy();
    tamper(p, (db) => db.prepare('DELETE FROM audit WHERE seq = 7').run());
    const r = p.run(['audit', 'verify']);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^the audit trail: broken at entry 7: the log ends at entry 6 but 7 were written: entries were removed from the end$/m,
    );
    const out = join(p.dir, 'audit.jsonl');
    const e = p.run(['audit', 'export', '-o', out]);
    assert.equal(e.code, 1);
    assert.match(e.stderr, /error: the audit trail fails verification at entry 7: .*; nothing was exported/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(p.dir).filter((n) => n.includes('audit')),
      [],
      'no temporary file is left behind',
    );
  });

  test('an export verifies on another machine, and fails there when a byte is changed or a line removed', async () => {
    const p = projectCopy();
    const head = json<AuditEntry[]>(p.run(['audit', '--json']))[6].hash;
    const file = join(p.dir, 'audit.jsonl');
    const exported = ok(p.run(['audit', 'export', '-o', file]), 'export');
    assert.equal(exported.stderr.trim(), `exported 7 audit entries to ${file}; head ${head}`);
    const toStdout = ok(p.run(['audit', 'export']), 'export to stdout').stdout;
    const text = readFileSync(file, 'utf8');
    assert.equal(
      toStdout.split('\n').slice(0, 7).join('\n'),
      text.split('\n').slice(0, 7).join('\n'),
      'the same entries either way',
    );
    const lines = text.split('\n').slice(0, -1);
    assert.equal(lines.length, 8);
    const headLine = JSON.parse(lines[7]) as { head: unknown; exportedAt: string };
    assert.deepEqual(headLine.head, { seq: 7, hash: head });

    // Another machine: a fresh folder with only the file; no project, no state, and nothing is created.
    const elsewhere = tempDir('setpoint-auditor-');
    const copy = join(elsewhere, 'audit.jsonl');
    copyFileSync(file, copy);
    const verify = (...extra: string[]) =>
      cli(['audit', 'verify', '--file', 'audit.jsonl', ...extra], { cwd: elsewhere });
    const good = verify();
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.equal(good.stdout.trim(), `audit.jsonl: intact, 7 entries, head ${head}`);
    assert.deepEqual(readdirSync(elsewhere), ['audit.jsonl']);
    assert.equal(verify('--head', head.slice(0, 10)).code, 0);
    const wrongHead = verify('--head', 'deadbeefdeadbeef');
    assert.equal(wrongHead.code, 1);
    assert.match(wrongHead.stdout, /not at the expected deadbeefdeadbeef/);
    assert.deepEqual(json(verify('--json')), {
      apiVersion: 'setpoint.dev/v1',
      ok: true,
      entries: 7,
      head,
      exportedAt: headLine.exportedAt,
    });

    // One byte changed: in the middle of each line, and the final newline. The verifying is the
    // engine's (the CLI's verify of a broken file is shown above and below): read in this process.
    const verifyCopy = () => verifyAuditFile(copy);
    const bytes = readFileSync(file);
    let offset = 0;
    const positions: number[] = [];
    for (const line of lines) {
      positions.push(offset + Math.floor(Buffer.byteLength(line) / 2));
      offset += Buffer.byteLength(line) + 1;
    }
    positions.push(bytes.length - 1);
    for (const at of positions) {
      const changed = Buffer.from(bytes);
      changed[at] = changed[at] === 0x30 ? 0x31 : 0x30;
      writeFileSync(copy, changed);
      const v = await verifyCopy();
      assert.equal(v.ok, false, `a change at byte ${at} went unnoticed: ${JSON.stringify(v)}`);
      assert.ok(!v.truncated && v.firstBad && v.firstBad.seq >= 1, JSON.stringify(v));
    }

    // One line removed: each in turn.
    for (let i = 0; i < lines.length; i++) {
      writeFileSync(copy, lines.filter((_, j) => j !== i).join('\n') + '\n');
      const v = await verifyCopy();
      assert.equal(v.ok, false, `removing line ${i + 1} went unnoticed`);
      const seq = i === 7 ? 8 : i + 1;
      assert.equal(v.firstBad?.seq, seq, JSON.stringify(v));
    }
    // And once through the CLI: the last line removed.
    writeFileSync(copy, lines.slice(0, -1).join('\n') + '\n');
    const cut = verify();
    assert.equal(cut.code, 1, 'removing the head line went unnoticed');
    assert.match(cut.stdout, /^audit\.jsonl: broken at entry 8\b/m, cut.stdout);

    rmSync(copy);
    const missing = verify();
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error: cannot read audit\.jsonl: ENOENT/);
  });
  test('a deleted state is told from a fresh one: verify reports the chain truncated against the anchor beside it', () => {
    const p = project();
    const anchor = join(p.dir, '.setpoint', 'audit-head');
    const head = JSON.parse(readFileSync(anchor, 'utf8')) as { head: { seq: number; hash: string } };
    assert.equal(head.head.seq, 7, 'the anchor holds the last head');
    const exported = join(p.dir, 'audit.jsonl');
    ok(p.run(['audit', 'export', '-o', exported]), 'export');
    const withExport = JSON.parse(readFileSync(anchor, 'utf8')) as {
      exported: { seq: number; hash: string };
    };
    assert.deepEqual([withExport.exported.seq, withExport.exported.hash], [7, head.head.hash]);

    for (const f of readdirSync(join(p.dir, '.setpoint')))
      if (f.startsWith('state.db')) rmSync(join(p.dir, '.setpoint', f));
    const gone = p.run(['audit', 'verify']);
    assert.equal(gone.code, 1, gone.stdout);
    assert.match(gone.stdout, /truncated: the chain ends at seq 0 but the anchor says 7 /);
    ok(p.run(['apply', '--yes']), 'apply on a fresh state');
    const v = p.run(['audit', 'verify']);
    assert.equal(v.code, 1, v.stdout);
    const m = /the audit trail: truncated: the chain ends at seq (\d+) but the anchor says 7 \(/.exec(
      v.stdout,
    );
    assert.ok(m && Number(m[1]) < 7, v.stdout);
    const asJson = json<{ ok: boolean; truncated: { endsAt: number; anchorSeq: number; anchor: string } }>(
      p.run(['audit', 'verify', '--json']),
    );
    assert.equal(asJson.ok, false);
    assert.deepEqual(asJson.truncated, { endsAt: Number(m[1]), anchorSeq: 7, anchor });
    // The anchor is evidence: later runs do not overwrite it, and export refuses the truncated trail.
    assert.equal(p.run(['audit', 'export']).code, 1);
    assert.equal((JSON.parse(readFileSync(anchor, 'utf8')) as typeof head).head.seq, 7);
    // Starting over on purpose: remove the anchor; a new one follows the new chain.
    rmSync(anchor);
    ok(p.run(['audit', 'verify']), 'verify once the anchor is removed');
  });
});

describe('audit completeness of one-shot runs', () => {
  test('a refused plan is audited with the resource and the problem; nothing is applied', () => {
    const p = project();
    writeFiles(p.dir, {
      'manifests/more.yaml': `kind: File
metadata: { name: b }
spec: { path: ${join(p.dir, 'out', 'b.txt')}, content: "b3\\n" }
lifecycle: { preventDestroy: true }
dependsOn: [Directory/out]
`,
    });
    ok(p.run(['apply', '--yes']), 'apply with preventDestroy');
    writeFiles(p.dir, { 'manifests/more.yaml': '' });
    const r = p.run(['apply', '--yes', '--prune']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: the plan has errors; nothing was applied/);
    const [refusal] = json<AuditEntry[]>(p.run(['audit', '--action', 'apply.refuse', '--json']));
    assert.ok(refusal, 'an apply.refuse entry');
    assert.equal(refusal.resourceId, 'File/default/b');
    assert.equal(refusal.result, 'refused');
    assert.match(refusal.revisionId ?? '', /^[0-9a-f]{16}$/);
    assert.match(refusal.diffDigest ?? '', /^[0-9a-f]{64}$/);
    assert.equal((refusal.detail as { code: string }).code, 'SETPOINT_PLAN_INVALID');
    assert.match(JSON.stringify(refusal.detail), /preventDestroy/);
    assert.ok(existsSync(join(p.dir, 'out', 'b.txt')));
    ok(p.run(['audit', 'verify']), 'verify');
  });

  test('a plan over the delete budget is refused before confirmation, and audited', () => {
    const p = project();
    writeFiles(p.dir, {
      'setpoint.yaml':
        readFileSync(join(p.dir, 'setpoint.yaml'), 'utf8') + '\nreconcile: { maxDeletesPerRun: 0 }\n',
      'manifests/more.yaml': '',
    });
    const r = p.run(['apply', '--prune']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /more than reconcile\.maxDeletesPerRun \(0\); nothing was applied/);
    const [refusal] = json<AuditEntry[]>(p.run(['audit', '--action', 'apply.refuse', '--json']));
    assert.equal((refusal.detail as { code: string }).code, 'SETPOINT_BLAST_RADIUS');
    assert.ok(existsSync(join(p.dir, 'out', 'b.txt')));
  });

  test('taking over the lock of a dead run is audited', () => {
    const p = project();
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const holder = `${hostname()}:${dead.stdout.trim()} apply`;
    tamper(p, (db) =>
      db
        .prepare(
          "INSERT OR REPLACE INTO leases (name, holder, term, acquired_at, expires_at) VALUES ('state', ?, 99, ?, ?)",
        )
        .run(holder, new Date().toISOString(), Date.now() + 600_000),
    );
    ok(p.run(['apply', '--yes', '--actor', 'bob']), 'apply after a dead run');
    const [takeover] = json<AuditEntry[]>(p.run(['audit', '--action', 'lock.takeover', '--json']));
    assert.ok(takeover, 'a lock.takeover entry');
    assert.equal(takeover.actor, 'bob');
    assert.equal(takeover.result, 'taken-over');
    assert.deepEqual(
      { ...takeover.detail, expiredAt: undefined, holder: undefined },
      {
        from: holder,
        fromTerm: 99,
        term: 100,
        reason: 'holder-gone',
        expiredAt: undefined,
        holder: undefined,
      },
    );
    ok(p.run(['audit', 'verify']), 'verify');
  });
});
