/**
 * `setpoint serve` end to end, desired state: manifest edits while serving
 * (a broken one is refused as a whole, the previous revision stays in force),
 * dependency order on the first start, and `setpoint sync`.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, json, startServe } from './helpers.js';
import { dirDoc, docs, fileDoc, project } from './serve-kit.js';

interface Revision {
  id: string;
  admitted: boolean;
  diagnostics?: Array<{ summary: string; file?: string; line?: number; field?: string }>;
}

describe('serve: revisions', () => {
  test('a broken manifest edit is refused, nothing of it applies, the previous revision stays in force; a valid edit is admitted', async (t) => {
    const p = project({});
    const conf = join(p.out, 'app.conf');
    const extra = join(p.out, 'extra.conf');
    const id = 'File/default/conf';
    p.write({ 'manifests/app.yaml': fileDoc('conf', conf, 'v1\n') });
    await startServe(t, p.dir);
    await eventually(async () => (await p.record(id))?.sync === 'InSync', 'the first convergence');
    const refusals = async () => (await p.events()).filter((e) => e.reason === 'RevisionRefused');
    const revisions = () => json<{ revisions: Revision[] }>(p.ok(['history', '--json'])).revisions;

    // 1. A YAML syntax error (an unclosed flow mapping), next to a change and a new resource.
    p.write({
      'manifests/app.yaml': docs(
        fileDoc('conf', conf, 'v2\n'),
        'kind: File\nmetadata: { name: extra\nspec:\n  path: x\n',
      ),
    });
    const syntax = await eventually(async () => (await refusals())[0], 'the syntax error to be refused');
    assert.equal(syntax.type, 'Warning');
    assert.match(
      syntax.message,
      /revision \S+ refused \(1 problems?; the previous revision stays in force\): .*manifests\/app\.yaml:\d+: /,
    );

    // 2. An unknown field (a typo), next to a change and a new, valid resource.
    p.write({
      'manifests/app.yaml': docs(
        fileDoc('conf', conf, 'v3\n').replace('  content:', '  contnet: oops\n  content:'),
        fileDoc('extra', extra, 'extra\n'),
      ),
    });
    const unknown = await eventually(async () => (await refusals())[1], 'the unknown field to be refused');
    assert.match(unknown.message, /manifests\/app\.yaml:\d+: .*contnet/);

    const refused = revisions().filter((r) => !r.admitted);
    assert.equal(refused.length, 2, 'history lists both refused revisions');
    for (const r of refused) {
      assert.ok(r.diagnostics?.length, 'a refused revision keeps its diagnostics');
    }
    assert.ok(refused.some((r) => r.diagnostics?.some((d) => d.field === 'spec.contnet')));
    const history = p.ok(['history']).stdout;
    for (const r of refused)
      assert.match(
        history,
        new RegExp(`^${r.id}\\s+local\\s.*\\srefused \\(1 problems?\\)\\s`, 'm'),
        history,
      );

    // Nothing of the refused revisions applied; the admitted one is still enforced.
    assert.equal(p.read(conf), 'v1\n');
    assert.equal(existsSync(extra), false);
    writeFileSync(conf, 'edited by hand\n');
    await eventually(
      async () => p.read(conf) === 'v1\n' && (await p.record(id))?.sync === 'InSync',
      'drift to be reverted to the previous revision',
    );
    assert.equal(existsSync(extra), false);
    assert.equal(
      await p.record('File/default/extra'),
      undefined,
      'a resource of a refused revision is not even recorded',
    );

    // 3. A valid edit: admitted and applied.
    p.write({
      'manifests/app.yaml': docs(fileDoc('conf', conf, 'v4\n'), fileDoc('extra', extra, 'extra\n')),
    });
    await eventually(() => existsSync(extra) && p.read(conf) === 'v4\n', 'the valid edit to be applied');
    await eventually(
      async () => (await p.status()).every((r) => r.sync === 'InSync') && (await p.status()).length === 2,
      'both resources in sync',
    );
    const all = revisions();
    assert.equal(all.filter((r) => r.admitted).length, 2, 'the first and the last revisions were admitted');
    assert.equal((await refusals()).length, 2);
  });

  test('a Directory and a File in it, declared in the wrong order, converge on the first start without errors', async (t) => {
    const p = project({});
    const root = join(p.out, 'srv');
    const web = join(root, 'web');
    const index = join(web, 'index.html');
    // Files are read in name order: the file comes first, the folders after, the outer folder last.
    p.write({
      'manifests/a-files.yaml': fileDoc('index', index, '<h1>hi</h1>\n', { dependsOn: ['Directory/web'] }),
      'manifests/b-dirs.yaml': docs(`${dirDoc('web', web)}dependsOn: [Directory/srv]\n`, dirDoc('srv', root)),
    });
    await startServe(t, p.dir);
    // The revision's Converged event is written just after the last record: wait for both.
    await eventually(async () => {
      const s = await p.status();
      if (s.length !== 3 || !s.every((r) => r.sync === 'InSync')) return false;
      return (await p.events()).some((e) => e.reason === 'Converged');
    }, 'every resource in sync and the revision converged');
    assert.equal(p.read(index), '<h1>hi</h1>\n');
    for (const r of await p.status()) {
      assert.equal(r.lastError, undefined, `${r.id} has no error`);
      assert.equal((r as { attempts?: number }).attempts, 0, `${r.id} needed no retry`);
    }
    const events = await p.events();
    assert.deepEqual(
      events.filter((e) => e.type === 'Warning'),
      [],
      'no warning event',
    );
    const created = events.filter((e) => e.reason === 'Created').map((e) => e.resourceId);
    assert.deepEqual(created, ['Directory/default/srv', 'Directory/default/web', 'File/default/index']);
  });

  test('`setpoint sync` makes serve reload: a changed source file is picked up at once', async (t) => {
    // A resync far away and a source file outside the watched manifest folder: only `sync` can notice.
    const p = project({ 'files/motd.txt': 'welcome v1\n' }, 'reconcile:\n  resync: 1h\n');
    const motd = join(p.out, 'motd');
    p.write({
      'manifests/motd.yaml': `kind: File\nmetadata:\n  name: motd\nspec:\n  path: ${motd}\n  source: ../files/motd.txt\n`,
    });
    await startServe(t, p.dir);
    await eventually(() => existsSync(motd) && p.read(motd) === 'welcome v1\n', 'the first convergence');
    const admitted = () =>
      new Set(
        json<{ revisions: Revision[] }>(p.ok(['history', '--json']))
          .revisions.filter((r) => r.admitted)
          .map((r) => r.id),
      ).size;
    assert.equal(admitted(), 1);

    p.write({ 'files/motd.txt': 'welcome v2\n' });
    const r = p.ok(['sync']);
    assert.match(r.stdout, /^admitted local: revision [0-9a-f]{16}, .*, 1 resources$/m);
    await eventually(() => p.read(motd) === 'welcome v2\n', 'the new source content to be applied');
    assert.equal(admitted(), 2, 'the reload made a new revision');
    const updated = (await p.events('File/default/motd')).find((e) => e.reason === 'Updated');
    assert.match(updated?.message ?? '', /spec\.source/);
    await eventually(
      async () => (await p.record('File/default/motd'))?.sync === 'InSync',
      'the resource in sync',
    );
  });
});
