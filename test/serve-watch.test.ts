/**
 * `setpoint status --watch` next to a running serve: it prints a line each
 * time a resource's status changes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliSpawn, eventually, exited, startServe } from './helpers.js';
import { fileDoc, project, replaceFile } from './serve-kit.js';

describe('serve: status --watch', () => {
  test('prints a line when a resource changes (human and --json)', async (t) => {
    const p = project({});
    const conf = join(p.out, 'app.conf');
    const id = 'File/default/conf';
    // alert: the drift stays recorded (an auto repair could come and go between two looks of the watcher).
    p.write({ 'manifests/app.yaml': fileDoc('conf', conf, 'level = info\n', { remediation: 'alert' }) });
    await startServe(t, p.dir);
    await eventually(async () => (await p.record(id))?.sync === 'InSync', 'the first convergence');

    const human = cliSpawn(['status', '--watch'], { cwd: p.dir });
    const machine = cliSpawn(['status', '--watch', '--json'], { cwd: p.dir });
    const humanDone = exited(human);
    const machineDone = exited(machine);
    let humanOut = '';
    let machineOut = '';
    const humanLines = () => humanOut.split('\n').filter(Boolean);
    human.stdout.on('data', (s: string) => (humanOut += s));
    machine.stdout.on('data', (s: string) => (machineOut += s));
    t.after(() => {
      for (const c of [human, machine]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
    const line = (sync: string) =>
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  ${id.replace(/\//g, '\\/')}  ${sync} Healthy(  .*)?$`,
        'm',
      );
    const jsonLines = () =>
      machineOut
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string; sync: string; health: string; time: string });

    // First, the current status of every resource.
    await eventually(() => line('InSync').test(humanOut), 'the watcher to print the current status');
    await eventually(
      () => jsonLines().some((l) => l.id === id && l.sync === 'InSync'),
      'the JSON watcher to print the current status',
    );
    assert.equal(humanLines().length, 1, 'one line per resource, nothing repeated');

    // Drift in alert mode is held on purpose (Held, reason AlertMode): one new line.
    replaceFile(conf, 'level = debug\n');
    await eventually(() => line('Held').test(humanOut), 'the watcher to print the drift');
    await eventually(
      () => jsonLines().some((l) => l.id === id && l.sync === 'Held'),
      'the JSON watcher to print the drift',
    );

    // The manifest adopts the change: in sync again, one more line.
    p.write({ 'manifests/app.yaml': fileDoc('conf', conf, 'level = debug\n', { remediation: 'alert' }) });
    await eventually(() => {
      const lines = humanLines();
      assert.ok(lines.length === 3 && line('InSync').test(lines[2]), humanOut);
      return true;
    }, 'the watcher to print InSync again');
    assert.deepEqual(
      humanLines().map((l) => l.split(/\s+/)[2]),
      ['InSync', 'Held', 'InSync'],
    );
    await eventually(
      () => jsonLines().filter((l) => l.id === id).length === 3,
      'the JSON watcher to print InSync again',
    );
    assert.deepEqual(
      jsonLines().map((l) => l.sync),
      ['InSync', 'Held', 'InSync'],
    );

    human.kill('SIGTERM');
    machine.kill('SIGTERM');
    assert.equal((await humanDone).code, 0);
    assert.equal((await machineDone).code, 0);
  });
});
