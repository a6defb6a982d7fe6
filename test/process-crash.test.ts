/**
 * kill -9 of the supervising setpoint while it starts many Process replicas
 * (issue 11 #5). A failpoint (SETPOINT_FAILPOINT) pauses the process at an
 * exact point, before a spawn or between a spawn and the record of its pid,
 * and the test kills it there, so the window is hit every time rather than
 * by luck. After a restart exactly N replicas run and status says so.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { cliSpawn, exited, json, sandbox, waitFor, type Sandbox } from './helpers.js';

const N = 30;

/** Live (non-zombie: PID 1 here never reaps orphans) processes whose argv is exactly `argv`. */
function running(argv: string[]): number[] {
  const want = argv.join('\0') + '\0';
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1') === want) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const leftovers: string[][] = [];
after(() => {
  for (const argv of leftovers) for (const pid of running(argv)) process.kill(pid, 'SIGKILL');
});

/** A project with one Process of N `sleep` replicas; the sleep time is unique, so its argv finds them. */
function project(): { s: Sandbox; argv: string[] } {
  const s = sandbox('setpoint-process-crash-');
  const seconds = String(100_000 + Math.floor(Math.random() * 800_000));
  const argv = ['/bin/sleep', seconds];
  leftovers.push(argv);
  s.write({
    'setpoint.yaml': 'reconcile: { resync: 1s }\n',
    'manifests/p.yaml': `kind: Process\nmetadata: { name: many }\nspec:\n  command: /bin/sleep\n  args: ["${seconds}"]\n  replicas: ${N}\n  gracePeriod: 1s\n`,
  });
  return { s, argv };
}

interface ProcessStatus {
  id: string;
  health: string;
  healthMessage?: string;
}

function processStatus(s: Sandbox): ProcessStatus | undefined {
  const r = s.run(['status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return json<{ resources: ProcessStatus[] }>(r).resources.find((x) => x.id === 'Process/default/many');
}

/** Runs `command` with the failpoint set, waits until it pauses there, and kills it -9. */
async function killAt(s: Sandbox, command: string[], point: string): Promise<void> {
  const paused = s.path(`paused-${point.replace(/\W/g, '-')}`);
  const child = cliSpawn([...command, '--state', s.state], {
    cwd: s.dir,
    env: { SETPOINT_FAILPOINT: `${point}:${paused}` },
  });
  const done = exited(child);
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`${command[0]} ended before the failpoint ${point}`);
    return existsSync(paused) && readFileSync(paused, 'utf8') !== '';
  }, `the failpoint ${point}`);
  child.kill('SIGKILL');
  assert.equal((await done).signal, 'SIGKILL');
}

describe('Process: kill -9 while replicas start', () => {
  // Varied points: right after the first spawn, in the middle, at the last one, and before a spawn.
  const trials = [
    'process.after-spawn:1',
    'process.after-spawn:13',
    'process.before-spawn:7',
    `process.after-spawn:${N}`,
  ];
  for (const point of trials)
    it(`apply killed at ${point}: the next apply runs exactly ${N}, and status counts them`, async () => {
      const { s, argv } = project();
      await killAt(s, ['apply', '--yes'], point);
      const again = s.run(['apply', '--yes']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.equal(running(argv).length, N, `exactly ${N} replicas after the restart`);
      const st = processStatus(s);
      assert.equal(st?.health, 'Healthy', st?.healthMessage);
      assert.equal(st?.healthMessage, `${N} of ${N} replicas ready`);
      // A further apply changes nothing and starts nothing.
      assert.match(s.run(['apply', '--yes']).stdout, /changed: 0 /);
      assert.equal(running(argv).length, N);
      for (const pid of running(argv)) process.kill(pid, 'SIGKILL');
    });

  it(`serve killed between a spawn and its record: the restarted serve runs exactly ${N}`, async () => {
    const { s, argv } = project();
    await killAt(s, ['serve'], 'process.after-spawn:17');
    const serve = cliSpawn(['serve', '--state', s.state], { cwd: s.dir });
    const done = exited(serve);
    try {
      await waitFor(() => {
        const st = processStatus(s);
        return st?.health === 'Healthy' && st.healthMessage === `${N} of ${N} replicas ready`;
      }, `serve to report ${N} of ${N} ready`);
      assert.equal(running(argv).length, N, `exactly ${N} replicas under the restarted serve`);
    } finally {
      serve.kill('SIGTERM');
      await done;
      for (const pid of running(argv)) process.kill(pid, 'SIGKILL');
    }
  });
});
