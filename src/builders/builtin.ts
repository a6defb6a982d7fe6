/**
 * One typed builder per built-in kind. A builder's spec parameter is the
 * kind's schema input type, so a misspelt or unknown field in an object
 * literal is a compile error in the manifest's editor.
 */
import { makeDocument, type ResourceDocument, type ResourceOptions } from './document.js';
import type { BuiltinSpecs } from './kinds.js';

/** Makes documents of one kind: `(name, spec, options?) => document`. */
export type KindBuilder<K extends string, S> = (
  name: string,
  spec: S,
  options?: ResourceOptions,
) => ResourceDocument<K, S>;

/** A builder for `kind` whose spec has type `S`. */
export function kindBuilder<K extends string, S>(kind: K): KindBuilder<K, S> {
  const builder: KindBuilder<K, S> = (name, spec, options) =>
    makeDocument(kind, name, spec, options, builder);
  return builder;
}

/**
 * A regular file: `file('motd', { path: '/etc/motd', content: 'hi\n', mode: '0644' })`.
 * One of `content`, `source` (a file relative to the manifest) or `contentFrom` (a secret).
 */
export const file: KindBuilder<'File', BuiltinSpecs['File']> = kindBuilder('File');

/** A folder: `directory('srv', { path: '/srv/web', mode: '0755' })`. */
export const directory: KindBuilder<'Directory', BuiltinSpecs['Directory']> = kindBuilder('Directory');

/** A symbolic link: `symlink('current', { path: '/srv/current', target: 'releases/42' })`. */
export const symlink: KindBuilder<'Symlink', BuiltinSpecs['Symlink']> = kindBuilder('Symlink');

/** Commands guarded by a check: `exec('migrate', { check: 'test -f /srv/.migrated', apply: './migrate.sh' })`. */
export const exec: KindBuilder<'Exec', BuiltinSpecs['Exec']> = kindBuilder('Exec');

/**
 * A supervised process (kind Process; not named `process`, which would hide
 * Node's global): `proc('web', { command: 'node', args: ['server.js'], replicas: 2 })`.
 */
export const proc: KindBuilder<'Process', BuiltinSpecs['Process']> = kindBuilder('Process');

/**
 * A part of a file setpoint does not own: a line, a marked block or a key,
 * e.g. `fileEdit('sshd-root', { path: '/etc/ssh/sshd_config', line: 'PermitRootLogin no', match: '^PermitRootLogin ' })`.
 */
export const fileEdit: KindBuilder<'FileEdit', BuiltinSpecs['FileEdit']> = kindBuilder('FileEdit');

/** A cron job in /etc/cron.d: `cron('backup', { schedule: '30 2 * * *', command: '/usr/local/bin/backup' })`. */
export const cron: KindBuilder<'Cron', BuiltinSpecs['Cron']> = kindBuilder('Cron');
/** A system package: `pkg('nginx', { version: 'latest' })` (spec.name defaults to the resource name). */
export const pkg: KindBuilder<'Package', BuiltinSpecs['Package']> = kindBuilder('Package');

/** A local account: `user('deploy', { shell: '/bin/bash', groups: ['www-data'] })` (spec.name defaults to the resource name). */
export const user: KindBuilder<'User', BuiltinSpecs['User']> = kindBuilder('User');

/** A local group: `group('web', { gid: 2000 })` (spec.name defaults to the resource name). */
export const group: KindBuilder<'Group', BuiltinSpecs['Group']> = kindBuilder('Group');

/** A systemd service: `service('web', { unit: '...', enabled: true, state: 'running', restartOn: ['File/web-conf'] })`. */
export const service: KindBuilder<'Service', BuiltinSpecs['Service']> = kindBuilder('Service');

/** An HTTP health check: `httpCheck('web-up', { url: 'http://127.0.0.1:8080/healthz', expect: { status: [200] } })`. */
export const httpCheck: KindBuilder<'HttpCheck', BuiltinSpecs['HttpCheck']> = kindBuilder('HttpCheck');

/** A PostgreSQL role: `pgRole('app', { login: true, password: { secretRef: { env: 'APP_DB_PASSWORD' } } })`. */
export const pgRole: KindBuilder<'PostgresRole', BuiltinSpecs['PostgresRole']> = kindBuilder('PostgresRole');

/** A PostgreSQL database: `pgDatabase('app', { owner: 'app', encoding: 'UTF8' })`. */
export const pgDatabase: KindBuilder<'PostgresDatabase', BuiltinSpecs['PostgresDatabase']> =
  kindBuilder('PostgresDatabase');

/** A schema in a PostgreSQL database: `pgSchema('billing', { database: 'app', owner: 'app' })`. */
export const pgSchema: KindBuilder<'PostgresSchema', BuiltinSpecs['PostgresSchema']> =
  kindBuilder('PostgresSchema');

/**
 * Privileges of a PostgreSQL role:
 * `pgGrant('reader', { role: 'reader', database: 'app', objectType: 'table', schema: 'public', privileges: ['SELECT'] })`.
 */
export const pgGrant: KindBuilder<'PostgresGrant', BuiltinSpecs['PostgresGrant']> =
  kindBuilder('PostgresGrant');

/** A PostgreSQL extension: `pgExtension('pgcrypto', { database: 'app' })`. */
export const pgExtension: KindBuilder<'PostgresExtension', BuiltinSpecs['PostgresExtension']> =
  kindBuilder('PostgresExtension');

/**
 * A goal (observe-only): `target('signups', { measure: { sql: { database: 'app.db', query: 'select count(*) from signups' } }, direction: 'above', threshold: 500 })`.
 */
export const target: KindBuilder<'Target', BuiltinSpecs['Target']> = kindBuilder('Target');

/** An objective met when all its key results are: `objective('fast-checkout', { keyResults: [{ name: 'p95', measure: {...}, direction: 'below', threshold: 300 }] })`. */
export const objective: KindBuilder<'Objective', BuiltinSpecs['Objective']> = kindBuilder('Objective');
