/**
 * describe, plan and status agree on every resource (issue 10, defect 2):
 * right after an apply, `plan` has nothing to do, `describe` observes each
 * resource present with no diff, and `status` records each in sync. They
 * observe through one function (engine/inspect.ts); describe once built its
 * own observe options without the providers' work root and called a running
 * Process absent. Projects: a real child Process, and copies of the
 * examples (quickstart; continuous, with its web server) moved to a temp
 * folder.
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli, json, ROOT, tempDir, writeFiles, type CliResult } from './helpers.js';

/** Live (non-zombie) processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmd.includes(marker) && stat[stat.lastIndexOf(')') + 2] !== 'Z') out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const markers: string[] = [];
after(() => {
  for (const m of markers) for (const pid of processesWith(m)) process.kill(pid, 'SIGKILL');
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface PlanJson {
  actions: Array<{ id: string; op: string; reason: string }>;
  diagnostics: Array<{ severity: string; summary: string }>;
}
interface DescribeJson {
  id: string;
  exists: boolean;
  changes: unknown[];
  actual?: unknown;
  diagnostics: Array<{ severity: string; summary: string }>;
}
interface StatusJson {
  resources: Array<{ id: string; sync: string; health: string }>;
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Applies the project in `dir`, then checks plan, describe and status agree on each resource. */
function applyAndAgree(dir: string, env: Record<string, string> = {}): string[] {
  const run = (args: string[]) => cli(args, { cwd: dir, env });
  ok(run(['apply', '--yes']), 'apply');
  const plan = json<PlanJson>(ok(run(['plan', '--json']), 'plan'));
  assert.ok(plan.actions.length > 0, 'the project declares resources');
  const status = json<StatusJson>(ok(run(['status', '--json']), 'status'));
  const recorded = new Map(status.resources.map((r) => [r.id, r]));
  for (const a of plan.actions) {
    assert.equal(a.op, 'noop', `plan right after apply: ${a.id} ${a.op} (${a.reason})`);
    const d = json<DescribeJson>(ok(run(['describe', a.id, '--json']), `describe ${a.id}`));
    assert.equal(d.exists, true, `describe ${a.id}: observed absent while plan says in sync`);
    assert.deepEqual(d.changes, [], `describe ${a.id}: a diff while plan says in sync`);
    assert.deepEqual(
      d.diagnostics.filter((x) => x.severity === 'error'),
      [],
      `describe ${a.id}: errors`,
    );
    assert.equal(recorded.get(a.id)?.sync, 'InSync', `status of ${a.id}`);
  }
  assert.equal(status.resources.length, plan.actions.length, 'status lists what plan lists');
  return plan.actions.map((a) => a.id);
}

/** Copies an example project to a temp folder, moving its absolute paths (and port) there too. */
function copyExample(name: string, replace: (dir: string) => Record<string, string>): string {
  const dir = tempDir(`setpoint-agree-${name}-`);
  cpSync(join(ROOT, 'examples', name), dir, { recursive: true });
  const manifests = join(dir, 'manifests');
  for (const f of readdirSync(manifests)) {
    let text = readFileSync(join(manifests, f), 'utf8');
    for (const [from, to] of Object.entries(replace(dir))) text = text.split(from).join(to);
    writeFileSync(join(manifests, f), text);
  }
  return dir;
}

describe('describe, plan and status agree', () => {
  it('after applying a Process (a real child process), describe shows it present with no changes, as plan does', () => {
    const dir = tempDir('setpoint-agree-process-');
    const marker = `setpoint-agree-sleeper-${Math.random().toString(36).slice(2)}`;
    markers.push(marker);
    writeFiles(dir, {
      'setpoint.yaml': 'manifests: [manifests]\n',
      'manifests/p.yaml': `kind: Process
metadata: { name: sleeper }
spec:
  command: ${process.execPath}
  args: ["-e", "setInterval(() => {}, 1000)", "${marker}"]
---
kind: File
metadata: { name: note }
spec: { path: ${join(dir, 'note.txt')}, content: "hello\\n" }
`,
    });
    const ids = applyAndAgree(dir);
    assert.deepEqual(ids.sort(), ['File/default/note', 'Process/default/sleeper']);
    assert.equal(processesWith(marker).length, 1, 'the process runs');
    const d = json<DescribeJson>(cli(['describe', 'Process/sleeper', '--json'], { cwd: dir }));
    assert.ok(d.actual, 'describe shows the observed process');
  });

  it('on a copy of examples/quickstart', () => {
    const dir = copyExample('quickstart', (d) => ({ '/tmp/setpoint-quickstart': join(d, 'target') }));
    applyAndAgree(dir, { QUICKSTART_TOKEN: 'agreement-test-token' });
  });

  it('on a copy of examples/continuous (with its web server as a Process)', async () => {
    const port = String(await freePort());
    const dir = copyExample('continuous', (d) => ({ '/tmp/setpoint-web': join(d, 'web'), '8765': port }));
    markers.push(join(dir, 'web', 'server.js'));
    applyAndAgree(dir);
  });
});
