/**
 * A state folder that cannot be written (issue 11, #10): the error names the
 * state path and the cause (EROFS) with a hint, instead of SQLite's bare
 * "unable to open database file". Tests run as root, so the folder is a
 * read-only tmpfs mount (chmod would not stop root).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, tempDir, writeFiles } from './helpers.js';

describe('a read-only state folder', () => {
  const dir = tempDir('setpoint-rostate-');
  const ro = join(dir, 'ro');
  const fresh = join(dir, 'ro-fresh');
  before(() => {
    writeFiles(dir, {
      'm/motd.yaml': `kind: File\nmetadata: { name: motd }\nspec: { path: ${join(dir, 'motd')}, content: "hi\\n" }\n`,
    });
    for (const d of [ro, fresh]) mkdirSync(d);
    // One with a state already in it, then remounted read-only; one empty and read-only from the start.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', ro]);
    const first = cli(['apply', '-f', 'm', '--yes', '--state', join(ro, 'state.db')], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    execFileSync('mount', ['-o', 'remount,ro', ro]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', fresh]);
  });
  after(() => {
    for (const d of [ro, fresh]) execFileSync('umount', ['-l', d]);
  });

  for (const [what, folder] of [
    ['empty', () => fresh],
    ['holding a state', () => ro],
  ] as const)
    it(`apply names the state path, the cause (EROFS) and a hint (${what})`, () => {
      const state = join(folder(), 'state.db');
      const r = cli(['apply', '-f', 'm', '--yes', '--state', state], { cwd: dir });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`cannot open the state ${state.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*EROFS`),
      );
      assert.match(r.stderr, /hint: .*writable/);
      assert.doesNotMatch(r.stderr, /^error: unable to open database file$/m);
      const j = cli(['apply', '-f', 'm', '--yes', '--json', '--state', state], { cwd: dir });
      const body = JSON.parse(j.stdout) as { error: { code: string } };
      assert.equal(body.error.code, 'SETPOINT_STATE_UNWRITABLE');
    });
});
