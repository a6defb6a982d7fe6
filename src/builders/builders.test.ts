import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { callSitesOf } from '../manifest/callsite.js';
import type { RawDocument } from '../manifest/parse.js';
import { validateDocuments } from '../manifest/validate.js';
import { defaultRegistry } from '../providers/index.js';
import { createRecordingFake } from '../provider/fake.js';
import {
  cron,
  defineKind,
  directory,
  exec,
  file,
  fileEdit,
  proc,
  refToId,
  resource,
  symlink,
} from './index.js';
import { group, httpCheck, pkg, service, user } from './index.js';

import { pgDatabase, pgExtension, pgGrant, pgRole, pgSchema } from './index.js';

import { objective, target } from './index.js';

const here = fileURLToPath(import.meta.url);
const lineWith = (marker: string) =>
  readFileSync(here, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(marker)) + 1;

function validate(values: unknown[]) {
  const docs: RawDocument[] = values.map((value, index) => ({
    file: here,
    index,
    line: 1,
    column: 1,
    value,
  }));
  return validateDocuments(docs, { catalog: defaultRegistry() });
}

describe('built-in builders', () => {
  it('make the document a YAML manifest would hold', () => {
    const web = directory('web', { path: '/srv/web' }, { namespace: 'web' });
    const motd = file(
      'motd',
      { path: '/srv/web/motd', content: 'hi\n', mode: '0644' },
      {
        namespace: 'web',
        labels: { owner: 'team-web' },
        annotations: { note: 'greeting' },
        dependsOn: [web, 'Exec/prepare'],
        lifecycle: { prune: true, ignoreChanges: ['spec.mode'] },
      },
    );
    assert.deepEqual(JSON.parse(JSON.stringify(motd)), {
      kind: 'File',
      metadata: {
        name: 'motd',
        namespace: 'web',
        labels: { owner: 'team-web' },
        annotations: { note: 'greeting' },
      },
      spec: { path: '/srv/web/motd', content: 'hi\n', mode: '0644' },
      dependsOn: ['Directory/web/web', 'Exec/prepare'],
      lifecycle: { prune: true, ignoreChanges: ['spec.mode'] },
    });
    assert.deepEqual(Object.keys(directory('d', { path: '/d' })), ['kind', 'metadata', 'spec']);
  });

  it('cover every built-in kind, and their documents validate', () => {
    const docs = [
      directory('srv', { path: '/srv' }),
      file('motd', { path: '/srv/motd', content: 'x' }),
      symlink('current', { path: '/srv/current', target: 'releases/1' }),
      exec('migrate', { check: 'true', apply: ['sh', '-c', 'exit 0'] }),
      proc('api', { command: 'node', args: ['server.js'], replicas: 2 }),
      fileEdit('root-login', { path: '/etc/ssh/sshd_config', line: 'PermitRootLogin no' }),
      cron('backup', { schedule: '30 2 * * *', command: '/usr/local/bin/backup' }),
      pkg('nginx', { version: 'latest' }),
      group('web', { gid: 2000 }),
      user('deploy', { shell: '/bin/bash', groups: ['web'] }),
      service('web', { unit: '[Service]\nExecStart=/bin/true\n', enabled: true }),
      httpCheck('web-up', { url: 'http://127.0.0.1:8080/healthz', expect: { status: [200] } }),

      pgRole('app', { login: true, password: { secretRef: { env: 'APP_DB_PASSWORD' } } }),
      pgDatabase('appdb', { owner: 'app', encoding: 'UTF8' }),
      pgSchema('billing', { database: 'appdb', owner: 'app' }),
      pgGrant('app-tables', {
        role: 'app',
        database: 'appdb',
        objectType: 'table',
        schema: 'billing',
        privileges: ['SELECT'],
      }),
      pgExtension('pgcrypto', { database: 'appdb' }),

      target('signups', {
        measure: { sql: { database: 'kpi.db', query: 'select count(*) from signups' } },
        direction: 'above',
        threshold: 500,
      }),
      objective('checkout', {
        keyResults: [
          { name: 'p95', measure: { command: { run: 'cat p95' } }, direction: 'below', threshold: 300 },
        ],
      }),
    ];
    assert.deepEqual(new Set(docs.map((d) => d.kind)), new Set(defaultRegistry().kinds()));
    const { resources, diagnostics } = validate(docs);
    assert.deepEqual(diagnostics.items, []);
    assert.deepEqual(
      resources.map((r) => r.id),
      [
        'Directory/default/srv',
        'File/default/motd',
        'Symlink/default/current',
        'Exec/default/migrate',
        'Process/default/api',
        'FileEdit/default/root-login',
        'Cron/default/backup',
        'Package/default/nginx',
        'Group/default/web',
        'User/default/deploy',
        'Service/default/web',
        'HttpCheck/default/web-up',

        'PostgresRole/default/app',
        'PostgresDatabase/default/appdb',
        'PostgresSchema/default/billing',
        'PostgresGrant/default/app-tables',
        'PostgresExtension/default/pgcrypto',

        'Target/default/signups',
        'Objective/default/checkout',
      ],
    );
  });

  it('record where they were called', () => {
    const doc = file('motd', { path: '/srv/motd' }); // <- file call
    const [site] = callSitesOf(doc);
    assert.equal(site.file, here);
    assert.equal(site.line, lineWith('// <- file call'));
    assert.equal(site.column, 17);
  });

  it('leave a misspelt field to validation, which names it', () => {
    // The cast stands for a JavaScript caller; in TypeScript this is a compile error.
    const doc = file('motd', { path: '/srv/motd', contnet: 'hi' } as never);
    const { diagnostics } = validate([doc]);
    assert.equal(diagnostics.errors.length, 1);
    const [d] = diagnostics.errors;
    assert.equal(d.field, 'spec.contnet');
    assert.equal(d.resourceId, 'File/default/motd');
    assert.equal(d.hint, 'did you mean "content"?');
  });

  it('throw on an unknown option', () => {
    assert.throws(
      () => file('motd', { path: '/srv/motd' }, { dependOn: ['Directory/srv'] } as never),
      /File\/motd: unknown option "dependOn" \(options are namespace, labels, annotations, dependsOn, lifecycle\)/,
    );
  });
});

describe('resource and defineKind', () => {
  it('resource makes a document of any kind and records its caller', () => {
    const doc = resource('Widget', 'w1', { value: 42 }); // <- resource call
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), {
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { value: 42 },
    });
    assert.equal(callSitesOf(doc)[0].line, lineWith('// <- resource call'));
    assert.equal(resource('File', 'f', { path: '/f' }).kind, 'File');
  });

  it('defineKind makes a builder from a provider or a kind and schema', () => {
    const provider = createRecordingFake('Widget');
    const widget = defineKind(provider);
    // The fake is typed Provider<Spec>, which erases its schema's input type: the spec type is Spec.
    const doc = widget('w1', { value: 1, ensure: 'present' }); // <- widget call
    assert.equal(doc.kind, 'Widget');
    assert.equal(callSitesOf(doc)[0].line, lineWith('// <- widget call'));
    const byName = defineKind('Gadget', provider.schema);
    assert.equal(byName('g', { value: 'x', ensure: 'absent' }).kind, 'Gadget');
  });

  it('refToId names a document by kind, namespace and name', () => {
    assert.equal(refToId(file('a', { path: '/a' })), 'File/a');
    assert.equal(refToId(file('a', { path: '/a' }, { namespace: 'web' })), 'File/web/a');
    assert.equal(refToId('Directory/srv'), 'Directory/srv');
  });
});
