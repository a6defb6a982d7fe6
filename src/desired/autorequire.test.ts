// Implicit dependencies of paths on the Directory resources above them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../manifest/index.js';
import { addImplicitDependencies } from './autorequire.js';

function res(kind: string, name: string, spec: Record<string, unknown>, dependsOn: string[] = []): Resource {
  return {
    id: `${kind}/default/${name}`,
    key: { kind, namespace: 'default', name },
    metadata: { name, namespace: 'default', labels: {}, annotations: {} },
    spec,
    dependsOn,
    lifecycle: {},
    origin: { file: 'x.yaml', line: 1, column: 1, index: 0 },
    digest: '',
  };
}

describe('addImplicitDependencies', () => {
  it('makes files depend on the nearest managed folder above them', () => {
    const srv = res('Directory', 'srv', { path: '/srv' });
    const app = res('Directory', 'app', { path: '/srv/app' });
    const conf = res('File', 'conf', { path: '/srv/app/conf/x.conf' });
    const link = res('Symlink', 'link', { path: '/srv/current', target: 'app' });
    const other = res('File', 'other', { path: '/etc/motd' });
    assert.equal(addImplicitDependencies([conf, link, srv, app, other]), 3);
    assert.deepEqual(conf.dependsOn, ['Directory/default/app']);
    assert.deepEqual(app.dependsOn, ['Directory/default/srv']);
    assert.deepEqual(link.dependsOn, ['Directory/default/srv']);
    assert.deepEqual(srv.dependsOn, []);
    assert.deepEqual(other.dependsOn, []);
  });

  it('keeps explicit edges, adds none twice, ignores absent folders and other kinds', () => {
    const d = res('Directory', 'd', { path: '/d' });
    const gone = res('Directory', 'gone', { path: '/g', ensure: 'absent' });
    const f = res('File', 'f', { path: '/d/f' }, ['Directory/default/d']);
    const g = res('File', 'g', { path: '/g/f' });
    const e = res('Exec', 'e', { path: '/d/x', check: 'true', apply: 'true' });
    assert.equal(addImplicitDependencies([d, gone, f, g, e]), 0);
    assert.deepEqual(f.dependsOn, ['Directory/default/d']);
    assert.deepEqual(g.dependsOn, []);
    assert.deepEqual(e.dependsOn, []);
  });

  it('makes PostgreSQL objects depend on the declared role, database and schema they name', () => {
    const app = res('PostgresRole', 'app', { login: true });
    const reader = res('PostgresRole', 'reader', { memberOf: ['app'] });
    const db = res('PostgresDatabase', 'appdb', { owner: 'app' });
    const billing = res('PostgresSchema', 'billing', { database: 'appdb', owner: 'app' });
    const ext = res('PostgresExtension', 'pgcrypto', { database: 'appdb', schema: 'billing' });
    const grant = res('PostgresGrant', 'read', {
      role: 'reader',
      database: 'appdb',
      objectType: 'table',
      schema: 'billing',
      privileges: ['SELECT'],
    });
    const onDb = res('PostgresGrant', 'connect', {
      role: 'reader',
      database: 'appdb',
      objectType: 'database',
      privileges: ['CONNECT'],
    });
    // Same names on another server are not the same objects.
    const elsewhere = res('PostgresGrant', 'other', {
      role: 'reader',
      database: 'appdb',
      objectType: 'database',
      privileges: ['CONNECT'],
      connection: { url: 'postgres://admin@other/postgres' },
    });
    assert.equal(addImplicitDependencies([app, reader, db, billing, ext, grant, onDb, elsewhere]), 11);
    assert.deepEqual(reader.dependsOn, ['PostgresRole/default/app']);
    assert.deepEqual(db.dependsOn, ['PostgresRole/default/app']);
    assert.deepEqual(billing.dependsOn, ['PostgresDatabase/default/appdb', 'PostgresRole/default/app']);
    assert.deepEqual(ext.dependsOn, ['PostgresDatabase/default/appdb', 'PostgresSchema/default/billing']);
    assert.deepEqual(grant.dependsOn, [
      'PostgresRole/default/reader',
      'PostgresDatabase/default/appdb',
      'PostgresSchema/default/billing',
    ]);
    assert.deepEqual(onDb.dependsOn, ['PostgresRole/default/reader', 'PostgresDatabase/default/appdb']);
    assert.deepEqual(elsewhere.dependsOn, []);
  });
});
