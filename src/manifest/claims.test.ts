/**
 * Exclusive paths, with the built-in kinds' own claims (defaultRegistry) and
 * real manifest files, so positions are the ones users see.
 */
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeFiles } from '../../test/helpers.js';
import { defaultRegistry } from '../providers/index.js';
import { claimPathProblem, normalizeClaimPath, PATH_CONFLICT, PATH_INVALID } from './claims.js';
import { Diagnostics, sortDiagnostics } from './diagnostics.js';
import { loadDocuments } from './load.js';
import { validateDocuments } from './validate.js';

const registry = defaultRegistry();

function validate(files: Record<string, string>) {
  const dir = tempDir();
  writeFiles(dir, files);
  const diags = new Diagnostics();
  const docs = loadDocuments([dir], diags);
  const result = validateDocuments(docs, { catalog: registry });
  diags.addAll(result.diagnostics.items);
  const errors = sortDiagnostics(diags.errors).map((d) => ({
    ...d,
    file: d.file && relative(dir, d.file),
    detail: d.detail?.split(dir + '/').join(''),
  }));
  return { resources: result.resources, errors };
}

const doc = (kind: string, name: string, spec: string) =>
  `kind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

describe('exclusive paths', () => {
  it('two Files on one path: the second is refused, naming both resources and both declarations', () => {
    const { errors } = validate({
      'a.yaml': doc('File', 'one', '  path: /srv/motd\n  content: "1"\n'),
      'b.yaml': doc('File', 'two', '  content: "2"\n  path: /srv/motd\n'),
    });
    assert.equal(errors.length, 1);
    const [e] = errors;
    assert.equal(e.code, PATH_CONFLICT);
    assert.equal(e.resourceId, 'File/default/two');
    assert.equal(e.field, 'spec.path');
    assert.deepEqual([e.file, e.line, e.column], ['b.yaml', 6, 9]);
    assert.match(e.summary, /\/srv\/motd is already managed by File\/default\/one/);
    assert.equal(e.detail, 'File/default/one declares it at a.yaml:5:9 (spec.path)');
    assert.match(e.hint ?? '', /File\/default\/one or File\/default\/two/);
  });

  it('spellings of one path are one path: trailing slash, "//", "." and ".." segments', () => {
    const schemaAllowed = validate({
      'a.yaml': [
        doc('File', 'one', '  path: /srv/motd\n'),
        doc('Symlink', 'two', '  path: /srv/motd/\n  target: /etc/motd\n'),
      ].join('---\n'),
    });
    assert.deepEqual(
      schemaAllowed.errors.map((e) => [e.code, e.resourceId]),
      [[PATH_CONFLICT, 'Symlink/default/two']],
    );
    // The providers' schemas refuse the other spellings; the comparison normalises them anyway.
    assert.equal(normalizeClaimPath('/srv//./x/../motd/'), '/srv/motd');
    assert.equal(normalizeClaimPath('/srv/motd'), '/srv/motd');
  });

  it('a File or Symlink on a declared Directory path', () => {
    const { errors } = validate({
      'a.yaml': [
        doc('Directory', 'srv', '  path: /srv\n'),
        doc('File', 'f', '  path: /srv\n'),
        doc('Symlink', 'l', '  path: /srv\n  target: /tmp\n'),
      ].join('---\n'),
    });
    assert.deepEqual(
      errors.map((e) => [e.resourceId, e.line]),
      [
        ['File/default/f', 11],
        ['Symlink/default/l', 17],
      ],
    );
    for (const e of errors)
      assert.match(e.detail ?? '', /^Directory\/default\/srv declares it at a\.yaml:5:9/);
  });

  it('a path inside one declared as a regular file', () => {
    const { errors } = validate({
      'a.yaml': [
        doc('File', 'f', '  path: /srv/app\n'),
        doc('Directory', 'd', '  path: /srv/app/conf\n'),
      ].join('---\n'),
    });
    assert.equal(errors.length, 1);
    assert.match(errors[0].summary, /\/srv\/app\/conf is inside \/srv\/app, which File\/default\/f manages/);
    assert.match(errors[0].hint ?? '', /declare \/srv\/app as a Directory/);
  });

  it('paths under a Directory or a Symlink, and different paths, are fine', () => {
    const { errors, resources } = validate({
      'a.yaml': [
        doc('Directory', 'd', '  path: /srv\n'),
        doc('File', 'f', '  path: /srv/motd\n'),
        doc('Symlink', 'l', '  path: /srv/current\n  target: /srv/v1\n'),
        doc('File', 'g', '  path: /srv/current/x\n'),
        doc('File', 'h', '  path: /srv/motd2\n'),
      ].join('---\n'),
    });
    assert.deepEqual(errors, []);
    assert.equal(resources.length, 5);
  });

  it('claimed paths must be absolute, below the root and free of control characters', () => {
    const { errors, resources } = validate({
      'a.yaml': [
        doc('Directory', 'root', '  path: /\n'),
        doc('Directory', 'root2', '  path: //\n'),
        doc('File', 'nl', '  path: "/srv/a\\nb"\n'),
        doc('File', 'nul', '  path: "/srv/a\\0b"\n'),
        doc('File', 'ok', '  path: /srv/ok\n'),
      ].join('---\n'),
    });
    assert.deepEqual(
      errors.map((e) => [e.resourceId, e.field, e.code]),
      [
        ['Directory/default/root', 'spec.path', PATH_INVALID],
        ['Directory/default/root2', 'spec.path', PATH_INVALID],
        ['File/default/nl', 'spec.path', PATH_INVALID],
        // NUL is refused by the File schema itself.
        ['File/default/nul', 'spec.path', 'SETPOINT_MANIFEST_INVALID'],
      ],
    );
    assert.match(errors[0].summary, /is the root folder/);
    assert.match(errors[2].summary, /contains a newline/);
    assert.ok(errors.filter((e) => e.code === PATH_INVALID).every((e) => e.hint));
    assert.deepEqual(
      resources.map((r) => r.id),
      ['File/default/ok'],
    );
  });

  it('claimPathProblem: each class of unusable path', () => {
    assert.match(claimPathProblem('srv/motd')?.summary ?? '', /absolute/);
    assert.match(claimPathProblem('/.')?.summary ?? '', /root/);
    assert.match(claimPathProblem('/a/..')?.summary ?? '', /root/);
    assert.match(claimPathProblem('/a\rb')?.summary ?? '', /carriage return/);
    assert.match(claimPathProblem('/a\u001bb')?.summary ?? '', /U\+001b/);
    assert.equal(claimPathProblem('/srv/motd'), undefined);
  });

  it('scales: 2,000 distinct paths and one conflict at the end', { timeout: 30_000 }, () => {
    const docs = Array.from({ length: 2000 }, (_, i) =>
      doc('File', `f${i}`, `  path: /srv/d${i % 50}/f${i}\n`),
    );
    docs.push(doc('File', 'dup', '  path: /srv/d7/f7\n'));
    const { errors } = validate({ 'a.yaml': docs.join('---\n') });
    assert.deepEqual(
      errors.map((e) => e.resourceId),
      ['File/default/dup'],
    );
  });
});

describe('shared paths (FileEdit)', () => {
  it('several FileEdits of one file compose', () => {
    const { errors, resources } = validate({
      'a.yaml': [
        doc('FileEdit', 'a', '  path: /etc/app.conf\n  line: a=1\n'),
        doc('FileEdit', 'b', '  path: /etc/app.conf\n  line: b=2\n'),
      ].join('---\n'),
    });
    assert.deepEqual(errors, []);
    assert.equal(resources.length, 2);
  });

  it('a File owning the path and a FileEdit of it conflict, whichever comes first', () => {
    const { errors } = validate({
      'a.yaml': [
        doc('File', 'whole', '  path: /etc/app.conf\n  content: x\n'),
        doc('FileEdit', 'part', '  path: /etc/app.conf\n  line: a=1\n'),
        doc('FileEdit', 'first', '  path: /etc/other.conf\n  line: a=1\n'),
        doc('File', 'late', '  path: /etc/other.conf\n  content: y\n'),
      ].join('---\n'),
    });
    assert.deepEqual(
      errors.map((e) => [e.code, e.resourceId, e.field]),
      [
        [PATH_CONFLICT, 'FileEdit/default/part', 'spec.path'],
        [PATH_CONFLICT, 'File/default/late', 'spec.path'],
      ],
    );
    assert.match(errors[0].summary, /already managed as a whole by File\/default\/whole/);
    assert.match(errors[1].summary, /already edited in part by FileEdit\/default\/first/);
    assert.match(errors[0].hint ?? '', /FileEdits only/);
  });
});

describe('Cron files', () => {
  it('two jobs whose names make one cron.d file conflict', () => {
    const { errors } = validate({
      'a.yaml': [
        doc('Cron', 'backup.daily', '  schedule: "@daily"\n  command: a\n  dir: /srv/cron.d\n'),
        doc('Cron', 'backup_daily', '  schedule: "@daily"\n  command: b\n  dir: /srv/cron.d\n'),
        doc('Cron', 'other', '  schedule: "@daily"\n  command: c\n  dir: /srv/cron.d\n'),
      ].join('---\n'),
    });
    assert.deepEqual(
      errors.map((e) => [e.code, e.resourceId, e.field]),
      [[PATH_CONFLICT, 'Cron/default/backup_daily', 'spec.dir']],
    );
    assert.match(
      errors[0].summary,
      /\/srv\/cron\.d\/backup_daily is already managed by Cron\/default\/backup\.daily/,
    );
  });
});
