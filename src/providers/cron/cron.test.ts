/**
 * Cron: the shared conformance suite against a real cron.d folder (a temp
 * folder in place of /etc/cron.d), then the file's content and name rules.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { cronFileName, cronProvider, scheduleProblem, type CronSpec } from './index.js';

/** The conformance harness names every resource `conformance` in the default namespace. */
const fileOf = (spec: { dir: string }) => join(spec.dir, 'conformance');

runConformance({
  provider: cronProvider,
  validSpec: (sb) => ({
    schedule: '30 2 * * *',
    command: '/usr/local/bin/backup --quiet',
    environment: { MAILTO: '' },
    dir: sb.targetDir,
  }),
  createFields: ['spec.file', 'spec.schedule', 'spec.user', 'spec.command', 'spec.environment'],
  drifts: [
    {
      name: 'the schedule changed by hand',
      breakState: (spec) =>
        writeFileSync(fileOf(spec), readFileSync(fileOf(spec), 'utf8').replace('30 2 * * *', '0 * * * *')),
      fields: ['spec.schedule'],
    },
    {
      name: 'the mode changed by hand',
      breakState: (spec) => chmodSync(fileOf(spec), 0o600),
      fields: ['mode'],
    },
    {
      name: 'the file removed by hand',
      breakState: (spec) => rmSync(fileOf(spec)),
      fields: ['spec.file', 'spec.schedule', 'spec.user', 'spec.command', 'spec.environment'],
    },
  ],
  badSpecs: [
    {
      name: 'a schedule of 6 fields',
      spec: () => ({ schedule: '0 * * * * *', command: 'x' }),
      field: 'spec.schedule',
    },
    {
      name: 'a minute of 61',
      spec: () => ({ schedule: '61 * * * *', command: 'x' }),
      field: 'spec.schedule',
    },
    {
      name: 'a day that never comes',
      spec: () => ({ schedule: '0 0 30 2 *', command: 'x' }),
      field: 'spec.schedule',
    },
    {
      name: 'a command of two lines',
      spec: () => ({ schedule: '@daily', command: 'a\nb' }),
      field: 'spec.command',
    },
    {
      name: 'a file name with a dot',
      spec: () => ({ schedule: '@daily', command: 'x', file: 'a.b' }),
      field: 'spec.file',
    },
    {
      name: 'an environment name with a space',
      spec: () => ({ schedule: '@daily', command: 'x', environment: { 'A B': '1' } }),
      field: 'spec.environment.A B',
    },
    {
      name: 'a relative dir',
      spec: () => ({ schedule: '@daily', command: 'x', dir: 'cron.d' }),
      field: 'spec.dir',
    },
    {
      name: 'an unknown field',
      spec: () => ({ schedule: '@daily', command: 'x', when: 'now' }),
      field: 'spec.when',
    },
  ],
  failure: {
    start: 'present',
    update: (raw) => ({ ...raw, schedule: '45 3 * * *' }),
    breakApply: (spec) => makeUnwritable(runningAsRoot ? fileOf(spec) : spec.dir),
    field: 'spec.dir',
    leftovers: (spec) => tempFilesOf(fileOf(spec)),
  },
});

async function withCron(body: (h: Harness<CronSpec, unknown, unknown>, sb: Sandbox) => Promise<void>) {
  const sb = createSandbox();
  try {
    await body(new Harness(cronProvider, sb), sb);
  } finally {
    sb.dispose();
  }
}

describe('Cron files', () => {
  it('hold the environment and one entry line, mode 0644', () =>
    withCron(async (h, sb) => {
      await h.converge({
        schedule: '@reboot',
        command: 'echo up >> /var/log/boot.log',
        user: 'root',
        environment: { SHELL: '/bin/bash', MAILTO: 'ops@example.org' },
        dir: sb.targetDir,
      });
      const path = join(sb.targetDir, 'conformance');
      assert.equal(
        readFileSync(path, 'utf8'),
        '# Managed by setpoint (Cron/default/conformance): changes made here are undone.\n' +
          'SHELL=/bin/bash\nMAILTO=ops@example.org\n@reboot root echo up >> /var/log/boot.log\n',
      );
      assert.equal(statSync(path).mode & 0o7777, 0o644);
    }));

  it('show a file that no longer reads as one entry as a text change', () =>
    withCron(async (h, sb) => {
      const { r } = await h.converge({ schedule: '@daily', command: 'true', dir: sb.targetDir });
      writeFileSync(join(sb.targetDir, 'conformance'), 'garbage\n');
      const changes = h.diff(r, await h.observe(r));
      assert.deepEqual(
        changes.map((c) => [c.path, c.format]),
        [['file', 'text']],
      );
    }));

  it('name the user in the error when it does not exist', () =>
    withCron(async (h, sb) => {
      await assert.rejects(
        h.load({ schedule: '@daily', command: 'true', user: 'no-such-user-setpoint', dir: sb.targetDir }),
        (err: unknown) => err instanceof ProviderError && err.field === 'spec.user',
      );
    }));
});

describe('Cron names and schedules', () => {
  it('name files after the resource, sanitised to what cron reads', () => {
    assert.equal(cronFileName({}, { namespace: 'default', name: 'backup.daily' }), 'backup_daily');
    assert.equal(cronFileName({}, { namespace: 'web', name: 'logrotate' }), 'web-logrotate');
    assert.equal(cronFileName({ file: 'custom' }, { namespace: 'web', name: 'x' }), 'custom');
  });

  it('accept 5 fields and the @ forms, explaining what is wrong otherwise', () => {
    for (const ok of ['*/5 * * * *', '0 3 * * mon-fri', '@daily', '@reboot', '@yearly'])
      assert.equal(scheduleProblem(ok), undefined, ok);
    assert.match(scheduleProblem('* * * *')!, /found 4 fields; a cron.d schedule has 5/);
    assert.match(scheduleProblem('0 25 * * *')!, /invalid schedule: .*hour/i);
    assert.match(scheduleProblem('@sometimes')!, /invalid schedule/);
  });
});
