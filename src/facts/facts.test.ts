/** Host facts: the built-in ones read this host; custom ones run real executables from a folder. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SetpointError } from '../errors.js';
import { builtinFacts, domainOf, gatherFacts, lookupFact, parseOsRelease } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'setpoint-facts-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A facts folder with these files ({name: [mode, content]}). */
function factsDir(files: Record<string, [number, string]>): string {
  const dir = mkdtempSync(join(root, 'd-'));
  for (const [name, [mode, content]] of Object.entries(files)) {
    writeFileSync(join(dir, name), content);
    chmodSync(join(dir, name), mode);
  }
  return dir;
}

describe('built-in facts', () => {
  it('describe this host', () => {
    const f = builtinFacts();
    assert.equal(f.hostname, hostname().split('.')[0]);
    assert.ok(f.fqdn.startsWith(f.hostname));
    assert.ok(f.cpus >= 1 && f.cpus <= cpus().length);
    assert.ok(f.memory.totalBytes > 0);
    assert.match(f.architecture, /^(x86_64|aarch64|arm64|[a-z0-9_]+)$/);
    assert.ok(f.os.id.length > 0);
    assert.equal(typeof f.init.systemd, 'boolean');
    assert.ok(Array.isArray(f.ipv4));
  });

  it('read os-release with quotes and the family from ID_LIKE', () => {
    const os = parseOsRelease(
      'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n',
    );
    assert.deepEqual(os, {
      family: 'debian',
      id: 'ubuntu',
      name: 'Ubuntu',
      version: '24.04',
      codename: 'noble',
      prettyName: 'Ubuntu',
    });
    assert.equal(parseOsRelease('ID=rocky\nID_LIKE="rhel centos fedora"\n').family, 'redhat');
  });

  it('find the domain in the hostname, /etc/hosts or resolv.conf', () => {
    assert.equal(domainOf('web1.example.org', '', ''), 'example.org');
    assert.equal(
      domainOf('web1', '10.0.0.5 web1.corp.example web1\n', 'search other.example\n'),
      'corp.example',
    );
    assert.equal(domainOf('web1', '127.0.0.1 localhost\n', 'search lan.example\n'), 'lan.example');
    assert.equal(domainOf('web1', '', ''), '');
  });
});

describe('custom facts', () => {
  it('merges what the executables print and static .json files; ignores other files', () => {
    const dir = factsDir({
      '10-role': [0o755, '#!/bin/sh\necho \'{"role": "web", "rack": {"row": 3}}\'\n'],
      'static.json': [0o644, '{"tier": "gold"}'],
      'README.md': [0o644, 'not a fact'],
      '.hidden': [0o755, '#!/bin/sh\nexit 1\n'],
    });
    const facts = gatherFacts({ dir });
    assert.equal(facts.role, 'web');
    assert.equal(lookupFact(facts, 'rack.row'), 3);
    assert.equal(facts.tier, 'gold');
    assert.equal(facts.hostname, hostname().split('.')[0]);
    assert.equal(gatherFacts({ dir }), facts, 'cached per process');
  });

  const fails = (files: Record<string, [number, string]>, pattern: RegExp, timeoutMs?: number) => {
    const dir = factsDir(files);
    assert.throws(
      () => gatherFacts({ dir, timeoutMs }),
      (err: unknown) => {
        assert.ok(err instanceof SetpointError);
        assert.equal(err.code, 'SETPOINT_FACT_FAILED');
        assert.ok(err.message.includes(dir), 'names the file');
        assert.match(err.message, pattern);
        assert.ok(err.hint);
        return true;
      },
    );
  };

  it('names a fact that exits non-zero, with its error output', () =>
    fails(
      { broken: [0o755, '#!/bin/sh\necho "no inventory" >&2\nexit 3\n'] },
      /broken failed \(exit 3\): no inventory/,
    ));

  it('names a fact that prints no JSON object', () => {
    fails({ text: [0o755, '#!/bin/sh\necho hello\n'] }, /text did not print JSON/);
    fails({ list: [0o755, '#!/bin/sh\necho "[1]"\n'] }, /list printed an array/);
  });

  it('names a fact that runs too long', () =>
    fails({ slow: [0o755, '#!/bin/sh\nsleep 5\n'] }, /slow did not finish within 200 ms/, 200));

  it('refuses a custom fact that would replace a built-in one', () =>
    fails({ clash: [0o755, '#!/bin/sh\necho \'{"hostname": "x"}\'\n'] }, /"hostname", a built-in fact/));

  it('has none when the folder does not exist', () => {
    const facts = gatherFacts({ dir: join(root, 'missing') });
    assert.equal(facts.role, undefined);
    mkdirSync(join(root, 'empty'));
    assert.equal(gatherFacts({ dir: join(root, 'empty') }).role, undefined);
  });
});
