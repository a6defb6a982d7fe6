/**
 * FileEdit: the shared conformance suite (a line edit of a real file), then
 * each kind of edit against real files — lines, marked blocks, keys of INI,
 * env, JSON, YAML and TOML files — proving that the rest of the file stays
 * byte for byte, that drift is seen only in the managed part, and that
 * several edits of one file compose.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createSandbox,
  Harness,
  makeUnwritable,
  runConformance,
  runningAsRoot,
  type Sandbox,
} from '../../provider/conformance.js';
import { ProviderError } from '../../provider/errors.js';
import { tempFilesOf } from '../fs/index.js';
import { fileEditProvider, type FileEditSpec } from './index.js';

const SSHD = '# sshd config\nPort 22\nUsePAM yes\n';

/** The target file, written once with content the edit does not own. */
function sshdConfig(sb: Sandbox): string {
  const path = join(sb.targetDir, 'sshd_config');
  if (!existsSync(path)) writeFileSync(path, SSHD);
  return path;
}

runConformance({
  provider: fileEditProvider,
  validSpec: (sb) => ({ path: sshdConfig(sb), line: 'PermitRootLogin no', match: '^PermitRootLogin\\s' }),
  createFields: ['spec.line'],
  drifts: [
    {
      name: 'the line changed by hand',
      breakState: (spec) =>
        writeFileSync(spec.path, SSHD.replace('PermitRootLogin no', 'PermitRootLogin prohibit-password')),
      fields: ['spec.line'],
    },
    {
      name: 'the line removed by hand',
      breakState: (spec) => writeFileSync(spec.path, SSHD),
      fields: ['spec.line'],
    },
  ],
  badSpecs: [
    { name: 'no line, block or key', spec: (sb) => ({ path: sshdConfig(sb) }), field: 'spec' },
    {
      name: 'line and block together',
      spec: (sb) => ({ path: sshdConfig(sb), line: 'a', block: 'b' }),
      field: 'spec.block',
    },
    {
      name: 'a line with a newline',
      spec: (sb) => ({ path: sshdConfig(sb), line: 'a\nb' }),
      field: 'spec.line',
    },
    {
      name: 'a pattern RE2 refuses (backreference)',
      spec: (sb) => ({ path: sshdConfig(sb), line: 'a', match: '(a)\\1' }),
      field: 'spec.match',
    },
    {
      name: 'match without line',
      spec: (sb) => ({ path: sshdConfig(sb), block: 'x', match: 'a' }),
      field: 'spec.match',
    },
    {
      name: 'a marker without {mark}',
      spec: (sb) => ({ path: sshdConfig(sb), block: 'x', marker: '# here' }),
      field: 'spec.marker',
    },
    {
      name: 'a key of a file whose format is unknown',
      spec: (sb) => ({ path: sshdConfig(sb), key: 'a', value: 1 }),
      field: 'spec.format',
    },
    {
      name: 'a key without a value',
      spec: (sb) => ({ path: join(sb.targetDir, 'a.json'), key: 'a' }),
      field: 'spec.value',
    },
    {
      name: 'a mapping as an env value',
      spec: (sb) => ({ path: join(sb.targetDir, 'app.env'), key: 'A', value: { b: 1 } }),
      field: 'spec.value',
    },
    { name: 'a relative path', spec: () => ({ path: 'etc/hosts', line: 'x' }), field: 'spec.path' },
    {
      name: 'an unknown field',
      spec: (sb) => ({ path: sshdConfig(sb), line: 'x', regex: 'y' }),
      field: 'spec.regex',
    },
  ],
  failure: {
    start: 'present',
    update: (raw) => ({ ...raw, line: 'PermitRootLogin prohibit-password' }),
    // As root an immutable file makes the final rename fail, after the temp file was written.
    breakApply: (spec) => makeUnwritable(runningAsRoot ? spec.path : dirname(spec.path)),
    field: 'spec.path',
    leftovers: (spec) => tempFilesOf(spec.path),
  },
});

type H = Harness<FileEditSpec, unknown, unknown>;

async function withSandbox(body: (h: H, sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = createSandbox();
  try {
    await body(new Harness(fileEditProvider, sb), sb);
  } finally {
    sb.dispose();
  }
}

/** Converges `spec` on a file holding `before`; returns the file's text after. */
async function edit(
  h: H,
  path: string,
  before: string | undefined,
  spec: Record<string, unknown>,
): Promise<string> {
  if (before !== undefined) writeFileSync(path, before);
  await h.converge({ path, ...spec });
  return readFileSync(path, 'utf8');
}

describe('FileEdit lines', () => {
  it('appends a missing line, keeping a file without a final newline intact', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'hosts');
      assert.equal(
        await edit(h, path, '127.0.0.1 localhost', { line: '10.0.0.5 db' }),
        '127.0.0.1 localhost\n10.0.0.5 db\n',
      );
    }));

  it('replaces every matching line, keeps CRLF endings, and removes them on destroy', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'conf');
      const after = await edit(h, path, 'a=1\r\nlimit=5\r\nb=2\r\nlimit=6\r\n', {
        line: 'limit=10',
        match: '^limit=',
      });
      assert.equal(after, 'a=1\r\nlimit=10\r\nb=2\r\nlimit=10\r\n');
      const r = await h.load({ path, line: 'limit=10', match: '^limit=' });
      await h.destroy(r, await h.observe(r));
      assert.equal(readFileSync(path, 'utf8'), 'a=1\r\nb=2\r\n');
    }));

  it('refuses to create a missing file unless create is set', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'missing');
      const r = await h.load({ path, line: 'x' });
      await assert.rejects(h.apply(r, undefined), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.field, 'spec.path');
        assert.match(err.hint ?? '', /create: true/);
        return true;
      });
      assert.equal(await edit(h, path, undefined, { line: 'x', create: true }), 'x\n');
      assert.equal(statSync(path).mode & 0o777, 0o644);
    }));

  it('refuses a symlink, naming where it leads, and leaves link and target alone', () =>
    withSandbox(async (h, sb) => {
      const target = join(sb.targetDir, 'real.conf');
      const link = join(sb.targetDir, 'link.conf');
      writeFileSync(target, 'a\n');
      symlinkSync(target, link);
      const r = await h.load({ path: link, line: 'b' });
      await assert.rejects(h.observe(r), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.field, 'spec.path');
        assert.match(err.message, /is a symlink \(to .*real\.conf\)/);
        return true;
      });
      await assert.rejects(h.apply(r, undefined), ProviderError);
      assert.equal(readFileSync(target, 'utf8'), 'a\n');
      assert.ok(lstatSync(link).isSymbolicLink());
    }));

  it('keeps the mode of the file it rewrites', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'secret.conf');
      writeFileSync(path, 'a\n');
      chmodSync(path, 0o600);
      await edit(h, path, undefined, { line: 'b' });
      assert.equal(statSync(path).mode & 0o777, 0o600);
    }));
});

describe('FileEdit blocks', () => {
  it('writes a marked block once, replaces only between the markers, and removes it', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'bashrc');
      const spec = { block: 'export A=1\nexport B=2', marker: '# {mark} app env' };
      const first = await edit(h, path, '# user stuff\nalias ll="ls -l"\n', spec);
      assert.equal(
        first,
        '# user stuff\nalias ll="ls -l"\n# BEGIN app env\nexport A=1\nexport B=2\n# END app env\n',
      );
      writeFileSync(path, first.replace('export B=2', 'export B=3') + 'echo after\n');
      const r = await h.load({ path, ...spec });
      const changes = h.diff(r, await h.observe(r));
      assert.equal(changes.length, 1);
      assert.equal(changes[0].path, 'spec.block');
      await h.apply(r, await h.observe(r));
      assert.equal(readFileSync(path, 'utf8'), first + 'echo after\n');
      await h.destroy(r, await h.observe(r));
      assert.equal(readFileSync(path, 'utf8'), '# user stuff\nalias ll="ls -l"\necho after\n');
    }));

  it('names the marker when the end marker is missing', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'f');
      writeFileSync(path, '# BEGIN x\nstuff\n');
      const r = await h.load({ path, block: 'a', marker: '# {mark} x' });
      await assert.rejects(
        h.observe(r),
        (err: unknown) => err instanceof ProviderError && err.field === 'spec.marker',
      );
    }));
});

describe('FileEdit keys', () => {
  it('INI: replaces a value in place, adds a key to its section and a new section', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'php.ini');
      const before =
        '; php\n[PHP]\nmemory_limit = 128M ; default\nmax = 1\n\n[Session]\nsession.save_path=/tmp\n';
      const a = await edit(h, path, before, { key: ['PHP', 'max'], value: 5 });
      assert.equal(a, before.replace('max = 1', 'max = 5'));
      const b = await edit(h, path, undefined, { key: ['Session', 'session.name'], value: 'SID' });
      assert.equal(b, a + 'session.name = SID\n');
      const c = await edit(h, path, undefined, { key: 'mail.from', value: 'root' });
      assert.equal(c, b + '\n[mail]\nfrom = root\n');
    }));

  it('env: quotes values that need it and keeps `export`', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'app.env');
      const before = '# app\nexport PORT=80\nNAME=web\n';
      const after = await edit(h, path, before, { key: 'PORT', value: 8080 });
      assert.equal(after, '# app\nexport PORT=8080\nNAME=web\n');
      const quoted = await edit(h, path, undefined, { key: 'GREETING', value: 'hello "you" $HOME' });
      assert.equal(quoted, after + 'GREETING="hello \\"you\\" \\$HOME"\n');
      const r = await h.load({ path, key: 'GREETING', value: 'hello "you" $HOME' });
      assert.deepEqual(h.diff(r, await h.observe(r)), [], 'reads back what it wrote');
    }));

  it('JSON: replaces a value, inserts a nested key indented like its object, keeps comments', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'config.json');
      const before =
        '{\n  // the server\n  "server": {\n    "port": 8080,   "host": "x"\n  },\n  "list": [1, 2, 3]\n}\n';
      const a = await edit(h, path, before, { key: 'server.port', value: 9090 });
      assert.equal(a, before.replace('8080', '9090'));
      const b = await edit(h, path, undefined, { key: 'log.level', value: 'debug' });
      assert.equal(
        b,
        a.replace('"list": [1, 2, 3]', '"list": [1, 2, 3],\n  "log": {\n    "level": "debug"\n  }'),
      );
      const r = await h.load({ path, key: 'server.host', ensure: 'absent' });
      await h.destroy(r, await h.observe(r));
      assert.equal(
        JSON.stringify(JSON.parse(readFileSync(path, 'utf8').replace(/\/\/.*\n/, ''))),
        '{"server":{"port":9090},"list":[1,2,3],"log":{"level":"debug"}}',
      );
    }));

  it('YAML: replaces a scalar keeping its comment, inserts keys at the right indentation', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'app.yaml');
      const before =
        '# app\nserver:\n  host: 0.0.0.0   # listen\n  port: 8080\nflags: [a, b]\n\nlast: x # end\n';
      const a = await edit(h, path, before, { key: 'server.port', value: 9090 });
      assert.equal(a, before.replace('8080', '9090'));
      const b = await edit(h, path, undefined, { key: 'server.tls.cert', value: '/etc/cert.pem' });
      assert.equal(b, a.replace('  port: 9090\n', '  port: 9090\n  tls:\n    cert: /etc/cert.pem\n'));
      const c = await edit(h, path, undefined, { key: 'flags', value: ['a', 'b', 'c'] });
      assert.equal(c, b.replace('[a, b]', '[ a, b, c ]'));
      const r = await h.load({ path, key: 'server.host', ensure: 'absent' });
      await h.destroy(r, await h.observe(r));
      assert.equal(readFileSync(path, 'utf8'), c.replace('  host: 0.0.0.0   # listen\n', ''));
    }));

  it('TOML: changes one value and adds a key to its table, keeping comments and spacing', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'config.toml');
      const before =
        '# config\ntitle = "x"   # trailing\n\n[server]\nport    = 8080 # the port\n\n[db.pool]\nsize=4\n';
      const a = await edit(h, path, before, { key: 'server.port', value: 9090 });
      assert.equal(a, before.replace('8080', '9090'));
      const b = await edit(h, path, undefined, { key: 'db.pool.max', value: 10 });
      assert.equal(b, a + 'max = 10\n');
    }));

  it('names spec.path when the file is not valid in its format', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'broken.json');
      writeFileSync(path, '{"a": }');
      const r = await h.load({ path, key: 'a', value: 1 });
      await assert.rejects(h.observe(r), (err: unknown) => {
        assert.ok(err instanceof ProviderError);
        assert.equal(err.field, 'spec.path');
        assert.match(err.message, /not valid JSON/);
        return true;
      });
    }));
});

describe('FileEdits on one file', () => {
  it('compose: applied at once, each keeps its part and drift is seen only in the changed one', () =>
    withSandbox(async (h, sb) => {
      const path = join(sb.targetDir, 'app.yaml');
      writeFileSync(path, 'a: 1\nb: 2\nc: 3\n');
      const specs = [
        { path, key: 'a', value: 10 },
        { path, key: 'b', value: 20 },
        { path, key: 'd', value: 40 },
      ];
      const loaded = await Promise.all(specs.map((s) => h.load(s)));
      const observed = await Promise.all(loaded.map((r) => h.observe(r)));
      await Promise.all(loaded.map((r, i) => h.apply(r, observed[i])));
      assert.equal(readFileSync(path, 'utf8'), 'a: 10\nb: 20\nc: 3\nd: 40\n');
      writeFileSync(path, 'a: 10\nb: 21\nc: 99\nd: 40\n');
      const diffs = await Promise.all(
        loaded.map(async (r) => h.diff(r, await h.observe(r)).map((c) => c.path)),
      );
      assert.deepEqual(diffs, [[], ['spec.value'], []], 'only b drifted; c is not managed');
    }));
});
