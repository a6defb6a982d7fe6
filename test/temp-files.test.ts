/**
 * Temp files of atomic writes after a kill -9 (issue 11 #10d). A failpoint
 * (SETPOINT_FAILPOINT=fs.before-rename) pauses apply with a temp file
 * written and not renamed yet; the test kills it there. The next run that
 * may act removes the stale temp file at its start, even when the resource
 * it belonged to is not applied again; read-only commands leave it; a temp
 * file whose writer still runs is never touched.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliSpawn, exited, sandbox, waitFor } from './helpers.js';

const file = (name: string, path: string, content: string) =>
  `kind: File\nmetadata: { name: ${name} }\nspec:\n  path: ${path}\n  content: ${JSON.stringify(content)}\n  mode: "0644"\n`;

const temps = (dir: string) => readdirSync(dir).filter((n) => n.includes('.setpoint-tmp-'));

describe('temp files of a killed apply', () => {
  it('are removed at the start of the next apply, whichever resources it applies; plan leaves them', async () => {
    const s = sandbox('setpoint-temp-');
    const out = s.path('out');
    s.write({
      'out/.keep': '',
      'manifests/files.yaml': [file('a', join(out, 'a'), 'A\n'), file('b', join(out, 'b'), 'B\n')].join(
        '---\n',
      ),
    });
    const paused = s.path('paused');
    const child = cliSpawn(['apply', '--yes', '--parallelism', '1', '--state', s.state], {
      cwd: s.dir,
      env: { SETPOINT_FAILPOINT: `fs.before-rename:1:${paused}` },
    });
    const done = exited(child);
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error('apply ended before the failpoint');
      return existsSync(paused) && readFileSync(paused, 'utf8') !== '';
    }, 'the write to pause before its rename');
    const pid = Number(readFileSync(paused, 'utf8'));
    child.kill('SIGKILL');
    await done;

    const left = temps(out);
    assert.equal(left.length, 1, `one temp file left: ${left.join(', ')}`);
    assert.match(
      left[0],
      new RegExp(`^\\.(a|b)\\.setpoint-tmp-${pid}-[0-9a-f]+$`),
      'its name says whose it is',
    );
    const interrupted = left[0].startsWith('.a.') ? 'a' : 'b';
    const other = interrupted === 'a' ? 'b' : 'a';
    // A temp file of a writer that still runs (this test process) must stay.
    const live = `.${other}.setpoint-tmp-${process.pid}-0123abcd`;
    writeFileSync(join(out, live), 'in flight');

    // The interrupted resource leaves the manifests: nothing will write its target again.
    s.write({ 'manifests/files.yaml': file(other, join(out, other), other.toUpperCase() + '\n') });
    assert.equal(s.run(['plan']).code, 0);
    assert.deepEqual(temps(out).sort(), [left[0], live].sort(), 'plan writes nothing');

    const again = s.run(['apply', '--yes']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(temps(out), [live], 'the stale temp file is gone, the live one kept');

    // Also when the next apply changes nothing at all.
    const stale = `.${other}.setpoint-tmp-${pid}-feedbeef`;
    writeFileSync(join(out, stale), 'left by the killed apply');
    const noop = s.run(['apply', '--yes']);
    assert.equal(noop.code, 0, noop.stdout + noop.stderr);
    assert.match(noop.stdout, /changed: 0|No changes/);
    assert.deepEqual(temps(out), [live], 'swept at the start of a run with nothing to do');
  });
});
