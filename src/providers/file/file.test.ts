/**
 * File: the shared conformance suite, then what only File does — content
 * from a source file, a secret or a template, binary and large content, in-place mode and
 * owner changes.
 */

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createSandbox,
  Harness,
  makeUnwritable,
  runConformance,
  runningAsRoot,
  type HarnessOptions,
  type Sandbox,
} from '../../provider/conformance.js';
import type { Change } from '../../diff/index.js';
import { ProviderError } from '../../provider/errors.js';
import { tempFilesOf } from '../fs/index.js';
import { fileProvider, type FileActual, type FileDesired, type FileSpec } from './index.js';

runConformance({
  provider: fileProvider,
  validSpec: (sb) => ({ path: join(sb.targetDir, 'motd'), content: 'hello\n', mode: '0640' }),
  createFields: ['spec.path', 'spec.content', 'spec.mode'],
  drifts: [
    {
      name: 'content and mode changed by hand',
      breakState: (spec) => {
        writeFileSync(spec.path, 'tampered\n');
        chmodSync(spec.path, 0o666);
      },
      fields: ['spec.content', 'spec.mode'],
    },
    {
      name: 'file removed by hand',
      breakState: (spec) => rmSync(spec.path),
      fields: ['spec.path', 'spec.content', 'spec.mode'],
    },
  ],
  badSpecs: [
    { name: 'a relative path', spec: () => ({ path: 'etc/motd' }), field: 'spec.path' },
    { name: 'a path with ".."', spec: (sb) => ({ path: `${sb.targetDir}/../motd` }), field: 'spec.path' },
    {
      name: 'an unquoted mode',
      spec: (sb) => ({ path: join(sb.targetDir, 'f'), mode: 644 }),
      field: 'spec.mode',
    },
    {
      name: 'a mode that is not octal',
      spec: (sb) => ({ path: join(sb.targetDir, 'f'), mode: '0999' }),
      field: 'spec.mode',
    },
    {
      name: 'both content and source',
      spec: (sb) => ({ path: join(sb.targetDir, 'f'), content: 'a', source: 'b' }),
      field: 'spec.source',
    },
    {
      name: 'a secretRef naming two sources',
      spec: (sb) => ({ path: join(sb.targetDir, 'f'), contentFrom: { secretRef: { env: 'A', file: 'b' } } }),
      field: 'spec.contentFrom.secretRef',
    },
    {
      name: 'a negative uid',
      spec: (sb) => ({ path: join(sb.targetDir, 'f'), owner: -1 }),
      field: 'spec.owner',
    },
    {
      name: 'an unknown field',
      spec: (sb) => ({ path: join(sb.targetDir, 'f'), contents: 'typo' }),
      field: 'spec.contents',
    },
  ],
  failure: {
    start: 'present',
    update: (raw) => ({ ...raw, content: 'new content\n' }),
    // As root an immutable target makes the final rename fail, after the temp file was written.
    breakApply: (spec) => makeUnwritable(runningAsRoot ? spec.path : dirname(spec.path)),
    field: 'spec.path',
    leftovers: (spec) => tempFilesOf(spec.path),
  },
});

type FileHarness = Harness<FileSpec, FileActual, FileDesired>;

/** Runs `body` with a fresh sandbox and harness, removing the sandbox afterwards. */
async function withFile(
  body: (h: FileHarness, sb: Sandbox) => Promise<void>,
  options?: HarnessOptions,
): Promise<void> {
  const sb = createSandbox();
  try {
    await body(new Harness(fileProvider, sb, options), sb);
  } finally {
    sb.dispose();
  }
}

describe('File content from a source file', () => {
  it('reads `source` relative to the manifest folder', () =>
    withFile(async (h, sb) => {
      mkdirSync(join(sb.projectDir, 'files'));
      writeFileSync(join(sb.projectDir, 'files', 'motd.txt'), 'from source\n');
      const path = join(sb.targetDir, 'motd');
      const r = await h.load({ path, source: 'files/motd.txt' });
      assert.deepEqual(h.diff(r, undefined), [
        { path: 'spec.path', new: path },
        { path: 'spec.source', format: 'text', old: undefined, new: 'from source\n' },
      ]);
      assert.equal(r.ctx.sourceDigests.length, 1);
      assert.match(r.ctx.sourceDigests[0], /^files\/motd\.txt [0-9a-f]{64}$/);
      await h.converge({ path, source: 'files/motd.txt' });
      assert.equal(readFileSync(path, 'utf8'), 'from source\n');
    }));

  it('refuses a source outside the project root, by "..", absolute path or symlink', () =>
    withFile(async (h, sb) => {
      const outside = join(sb.root, 'outside.txt');
      writeFileSync(outside, 'not yours\n');
      symlinkSync(outside, join(sb.projectDir, 'link.txt'));
      for (const source of ['../outside.txt', outside, 'link.txt']) {
        await assert.rejects(h.load({ path: join(sb.targetDir, 'f'), source }), (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.code, 'SETPOINT_PATH_TRAVERSAL', source);
          assert.equal(err.field, 'spec.source');
          return true;
        });
      }
    }));

  it('names spec.source when the source file is missing', () =>
    withFile(async (h, sb) => {
      await assert.rejects(
        h.load({ path: join(sb.targetDir, 'f'), source: 'missing.txt' }),
        (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.code, 'SETPOINT_SOURCE_UNREADABLE');
          assert.equal(err.field, 'spec.source');
          return true;
        },
      );
    }));
});

describe('File content from a secret', () => {
  const secret = 'hunter2-do-not-print';
  const env = { MOTD_SECRET: secret };

  it('writes the secret, and diff never carries it', () =>
    withFile(
      async (h, sb) => {
        const raw = {
          path: join(sb.targetDir, 'token'),
          contentFrom: { secretRef: { env: 'MOTD_SECRET' } },
          mode: '0600',
        };
        const r = await h.load(raw);
        const created = h.diff(r, undefined);
        assert.deepEqual(created, [
          { path: 'spec.path', new: raw.path },
          { path: 'spec.contentFrom', sensitive: true },
          { path: 'spec.mode', old: undefined, new: '0600' },
        ]);
        assert.ok(!JSON.stringify(created).includes(secret));
        assert.equal(r.ctx.secretDigests.length, 1);
        assert.match(r.ctx.secretDigests[0], /^hmac-sha256:/);
        const { actual } = await h.converge(raw);
        assert.equal(readFileSync(raw.path, 'utf8'), secret);
        const shown = JSON.stringify(fileProvider.display!(r.desired, actual));
        assert.ok(!shown.includes(secret), 'display must not show the secret');

        writeFileSync(raw.path, 'tampered-by-hand');
        const drifted = h.diff(r, await h.observe(r));
        assert.deepEqual(drifted, [{ path: 'spec.contentFrom', sensitive: true }]);
        assert.ok(!JSON.stringify(drifted).includes(secret) && !JSON.stringify(drifted).includes('tampered'));
      },
      { env },
    ));

  it('names spec.contentFrom.secretRef when the variable is not set', () =>
    withFile(async (h, sb) => {
      await assert.rejects(
        h.load({ path: join(sb.targetDir, 't'), contentFrom: { secretRef: { env: 'UNSET_SECRET' } } }),
        (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.code, 'SETPOINT_SECRET_UNRESOLVED');
          assert.equal(err.field, 'spec.contentFrom.secretRef');
          assert.ok(err.hint);
          return true;
        },
      );
    }));
});

describe('File content that cannot be shown as text', () => {
  const summary = /^\d+(\.\d)? (B|KiB|MiB), sha256 [0-9a-f]{12}$/;

  it('summarises binary content by size and digest', () =>
    withFile(async (h, sb) => {
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff, 0x00]);
      writeFileSync(join(sb.projectDir, 'logo.png'), bytes);
      const raw = { path: join(sb.targetDir, 'logo.png'), source: 'logo.png' };
      const r = await h.load(raw);
      const change = contentChangeOf(h.diff(r, undefined), 'spec.source');
      assert.equal(change.format, 'binary');
      assert.match(String(change.new), summary);
      await h.converge(raw);
      assert.deepEqual(readFileSync(raw.path), bytes);
      writeFileSync(raw.path, Buffer.from([0x00, 0x02]));
      const drift = contentChangeOf(h.diff(r, await h.observe(r)), 'spec.source');
      assert.equal(drift.format, 'binary');
      assert.match(String(drift.old), summary);
    }));

  it('summarises large content instead of diffing it', () =>
    withFile(async (h, sb) => {
      const raw = { path: join(sb.targetDir, 'big.txt'), content: 'x'.repeat(300 * 1024) };
      const r = await h.load(raw);
      const change = contentChangeOf(h.diff(r, undefined), 'spec.content');
      assert.equal(change.format, 'large');
      assert.equal(change.new, `300.0 KiB, sha256 ${String(change.new).slice(-12)}`);
      await h.converge(raw);
      assert.equal(statSync(raw.path).size, 300 * 1024);
    }));
});

describe('File mode and ownership', () => {
  it('changes only the mode in place: content, inode and mtime stay', () =>
    withFile(async (h, sb) => {
      const path = join(sb.targetDir, 'conf');
      await h.converge({ path, content: 'keep me\n', mode: '0644' });
      const before = statSync(path);
      const r = await h.load({ path, content: 'keep me\n', mode: '0600' });
      const actual = await h.observe(r);
      assert.deepEqual(h.diff(r, actual), [{ path: 'spec.mode', old: '0644', new: '0600' }]);
      await h.apply(r, actual);
      const after = statSync(path);
      assert.equal(after.mode & 0o7777, 0o600);
      assert.equal(after.ino, before.ino);
      assert.equal(after.mtimeMs, before.mtimeMs);
      assert.equal(readFileSync(path, 'utf8'), 'keep me\n');
    }));

  const needsRoot = runningAsRoot ? {} : { skip: 'changing a file owner needs root' };

  it('sets owner and group by number, in place', needsRoot, () =>
    withFile(async (h, sb) => {
      const path = join(sb.targetDir, 'owned');
      await h.converge({ path, content: 'x' });
      const before = statSync(path);
      const r = await h.load({ path, content: 'x', owner: 4321, group: '8765' });
      const actual = await h.observe(r);
      assert.deepEqual(h.diff(r, actual), [
        { path: 'spec.owner', old: 'root', new: '4321' },
        { path: 'spec.group', old: 'root', new: '8765' },
      ]);
      await h.apply(r, actual);
      const after = statSync(path);
      assert.deepEqual([after.uid, after.gid, after.ino], [4321, 8765, before.ino]);
      assert.deepEqual(h.diff(r, await h.observe(r)), []);
    }),
  );

  it('sets owner and group by name, looked up in /etc/passwd and /etc/group', needsRoot, () =>
    withFile(async (h, sb) => {
      const uid = idOf('/etc/passwd', 'nobody');
      const gid = idOf('/etc/group', 'nogroup') ?? idOf('/etc/group', 'nobody');
      assert.ok(uid !== undefined && gid !== undefined, 'this host has no nobody user or nogroup group');
      const group = idOf('/etc/group', 'nogroup') !== undefined ? 'nogroup' : 'nobody';
      const path = join(sb.targetDir, 'by-name');
      await h.converge({ path, content: 'x', owner: 'nobody', group });
      const st = statSync(path);
      assert.deepEqual([st.uid, st.gid], [uid, gid]);
    }),
  );

  it('names spec.owner for an unknown user', () =>
    withFile(async (h, sb) => {
      await assert.rejects(
        h.load({ path: join(sb.targetDir, 'f'), owner: 'no-such-user-setpoint' }),
        (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.field, 'spec.owner');
          return true;
        },
      );
    }));
});

/** The one change at `path`. */
function contentChangeOf(changes: Change[], path: string): Change {
  const found = changes.filter((c) => c.path === path);
  assert.equal(found.length, 1, `one change at ${path}`);
  return found[0];
}

/** The numeric id of `name` in an /etc/passwd-style file. */
function idOf(file: string, name: string): number | undefined {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(':')[2]) : undefined;
}

describe('File templates', () => {
  const writeTemplate = (sb: Sandbox, rel: string, text: string) => {
    mkdirSync(dirname(join(sb.projectDir, rel)), { recursive: true });
    writeFileSync(join(sb.projectDir, rel), text);
  };

  it('renders vars and facts; the rendered content is what is diffed and written', () =>
    withFile(async (h, sb) => {
      writeTemplate(
        sb,
        'templates/web.conf.njk',
        'host {{ facts.hostname }}\nport {{ port }}\n{% for u in upstreams %}\nupstream {{ u }}\n{% endfor %}\n',
      );
      const raw = {
        path: join(sb.targetDir, 'web.conf'),
        template: 'templates/web.conf.njk',
        vars: { port: 8080, upstreams: ['a', 'b'] },
      };
      const r = await h.load(raw);
      const expected = `host ${hostname().split('.')[0]}\nport 8080\nupstream a\nupstream b\n`;
      const change = contentChangeOf(h.diff(r, undefined), 'spec.template');
      assert.equal(change.new, expected);
      assert.ok(r.ctx.sourceDigests.some((d) => d.startsWith('templates/web.conf.njk ')));
      assert.ok(
        r.ctx.sourceDigests.some((d) => d.startsWith('facts ')),
        'the facts read are an input',
      );
      await h.converge(raw);
      assert.equal(readFileSync(raw.path, 'utf8'), expected);
      writeFileSync(raw.path, 'port 1\n');
      const drift = contentChangeOf(h.diff(r, await h.observe(r)), 'spec.template');
      assert.equal(drift.old, 'port 1\n');
    }));

  it('includes a template from its own folder, and refuses one outside it', () =>
    withFile(async (h, sb) => {
      writeTemplate(sb, 'templates/main.njk', '{% include "part.njk" %}end\n');
      writeTemplate(sb, 'templates/part.njk', 'part {{ n }}\n');
      writeTemplate(sb, 'secret.txt', 'not for templates\n');
      const path = join(sb.targetDir, 'out');
      await h.converge({ path, template: 'templates/main.njk', vars: { n: 1 } });
      assert.equal(readFileSync(path, 'utf8'), 'part 1\nend\n');
      writeTemplate(sb, 'templates/evil.njk', '{% include "../secret.txt" %}');
      await assert.rejects(h.load({ path, template: 'templates/evil.njk' }), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.field, 'spec.template');
        assert.match(err.message, /outside the template's folder/);
        return true;
      });
    }));

  it('names the template, line, column and expression of an undefined variable', () =>
    withFile(async (h, sb) => {
      writeTemplate(sb, 'app.njk', 'ok {{ port }}\nname {{ nmae }}\n');
      await assert.rejects(
        h.load({ path: join(sb.targetDir, 'app'), template: 'app.njk', vars: { port: 1 } }),
        (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.code, 'SETPOINT_TEMPLATE_INVALID');
          assert.equal(err.field, 'spec.template');
          assert.match(err.message, /^template app\.njk:2:\d+: undefined value in \{\{ nmae \}\}$/);
          assert.ok(err.hint);
          return true;
        },
      );
    }));

  it('refuses attribute lookups that reach JavaScript internals', () =>
    withFile(async (h, sb) => {
      writeTemplate(sb, 'x.njk', '{{ "".constructor.constructor("return process.pid")() }}');
      await assert.rejects(h.load({ path: join(sb.targetDir, 'x'), template: 'x.njk' }), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.match(err.message, /"constructor" is not allowed/);
        return true;
      });
    }));

  it('refuses a template outside the project', () =>
    withFile(async (h, sb) => {
      writeFileSync(join(sb.root, 'outside.njk'), 'x');
      await assert.rejects(
        h.load({ path: join(sb.targetDir, 'x'), template: '../outside.njk' }),
        (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.code, 'SETPOINT_PATH_TRAVERSAL');
          assert.equal(err.field, 'spec.template');
          return true;
        },
      );
    }));

  it('keeps a template that reads a secret out of the diff', () =>
    withFile(
      async (h, sb) => {
        writeTemplate(sb, 'db.njk', 'user app\npassword {{ password }}\n');
        const raw = {
          path: join(sb.targetDir, 'db.conf'),
          template: 'db.njk',
          vars: { password: { secretRef: { env: 'DB_PASSWORD' } } },
        };
        const r = await h.load(raw);
        const created = h.diff(r, undefined);
        assert.deepEqual(created[1], { path: 'spec.template', sensitive: true });
        assert.ok(!JSON.stringify(created).includes('s3cret-value'));
        const { actual } = await h.converge(raw);
        assert.equal(readFileSync(raw.path, 'utf8'), 'user app\npassword s3cret-value\n');
        assert.ok(!JSON.stringify(fileProvider.display!(r.desired, actual)).includes('s3cret-value'));
      },
      { env: { DB_PASSWORD: 's3cret-value' } },
    ));

  it('refuses template together with content, and vars without a template', () => {
    const both = fileProvider.schema.safeParse({ path: '/tmp/x', content: 'a', template: 't.njk' });
    assert.ok(!both.success);
    assert.deepEqual(both.error.issues[0].path, ['template']);
    assert.match(both.error.issues[0].message, /only one of content, source, contentFrom or template/);
    const vars = fileProvider.schema.safeParse({ path: '/tmp/x', content: 'a', vars: { a: 1 } });
    assert.ok(!vars.success);
    assert.deepEqual(vars.error.issues[0].path, ['vars']);
  });
});
