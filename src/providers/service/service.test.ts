/**
 * Service against the real systemctl of this host: the shared conformance
 * suite on a unit file and its enablement in a root folder (systemctl
 * --root), what happens to running-state specs where systemd is not PID 1
 * (a clear error at plan time), and the running-state path where it is.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createSandbox,
  Harness,
  makeUnwritable,
  runConformance,
  type Sandbox,
} from '../../provider/conformance.js';
import { ProviderError } from '../../provider/errors.js';
import {
  serviceProvider,
  systemdRunning,
  type ServiceActual,
  type ServiceDesired,
  type ServiceSpec,
} from './index.js';

const UNIT = `[Unit]
Description=setpoint test service

[Service]
ExecStart=/bin/sleep 1000

[Install]
WantedBy=multi-user.target
`;
const hasSystemctl = spawnSync('systemctl', ['--version'], { stdio: 'ignore' }).status === 0;
const noSystemctl = hasSystemctl ? false : 'needs systemctl (the systemd package)';
const unitPath = (sb: Sandbox) => join(sb.targetDir, 'etc/systemd/system/spt-web.service');
/** The link is absolute inside the root, so it dangles seen from the host: lstat, not exists. */
const linked = (path: string) => lstatSync(path, { throwIfNoEntry: false }) !== undefined;
const wantsLink = (sb: Sandbox) =>
  join(sb.targetDir, 'etc/systemd/system/multi-user.target.wants/spt-web.service');

runConformance({
  provider: serviceProvider,
  validSpec: (sb) => ({ name: 'spt-web', unit: UNIT, enabled: true, root: sb.targetDir }),
  createFields: ['spec.ensure'],
  drifts: [
    {
      name: 'unit file edited by hand',
      breakState: (_spec, sb) => writeFileSync(unitPath(sb), UNIT.replace('1000', '5')),
      fields: ['spec.unit'],
    },
    {
      name: 'disabled by hand',
      breakState: (_spec, sb) => {
        spawnSync('systemctl', [`--root=${sb.targetDir}`, 'disable', 'spt-web.service'], { stdio: 'ignore' });
      },
      fields: ['spec.enabled'],
    },
  ],
  badSpecs: [
    { name: 'an unknown state', spec: () => ({ state: 'started' }), field: 'spec.state' },
    {
      name: 'restartOn that is not an id',
      spec: () => ({ restartOn: ['nginx.conf'] }),
      field: 'spec.restartOn.0',
    },
    {
      name: 'both unit and unitFile',
      spec: () => ({ unit: UNIT, unitFile: 'File/web-unit' }),
      field: 'spec.unitFile',
    },
    {
      name: 'state in a root folder',
      spec: () => ({ root: '/mnt/image', state: 'running' }),
      field: 'spec.state',
    },
    { name: 'a unit name with a slash', spec: () => ({ name: 'a/b' }), field: 'spec.name' },
  ],
  failure: {
    start: 'present',
    update: (raw) => ({ ...raw, unit: UNIT.replace('1000', '2000') }),
    breakApply: (_spec, sb) => makeUnwritable(dirname(unitPath(sb))),
    field: 'spec.unit',
  },
  skip: noSystemctl
    ? {
        create: noSystemctl,
        'no-op': noSystemctl,
        delete: noSystemctl,
        drift: noSystemctl,
        repair: noSystemctl,
        'failed apply': noSystemctl,
      }
    : {},
});

async function withService(
  body: (h: Harness<ServiceSpec, ServiceActual, ServiceDesired>, sb: Sandbox) => Promise<void>,
) {
  const sb = createSandbox();
  try {
    await body(new Harness(serviceProvider, sb), sb);
  } finally {
    sb.dispose();
  }
}

describe('Service in a root folder', { skip: noSystemctl }, () => {
  it('enables through the [Install] section and disables on removal, removing the unit it wrote', () =>
    withService(async (h, sb) => {
      const { r, actual } = await h.converge({
        name: 'spt-web',
        unit: UNIT,
        enabled: true,
        root: sb.targetDir,
      });
      assert.ok(linked(wantsLink(sb)), 'enable links it into multi-user.target.wants');
      await h.destroy(r, actual);
      assert.ok(!linked(wantsLink(sb)));
      assert.ok(!existsSync(unitPath(sb)));
    }));

  it('leaves a unit file written by a File resource in place on removal', () =>
    withService(async (h, sb) => {
      const { r: unitOwner } = await h.converge({ name: 'spt-web', unit: UNIT, root: sb.targetDir });
      const r = await h.load({
        name: 'spt-web',
        unitFile: 'File/web-unit',
        enabled: true,
        root: sb.targetDir,
      });
      assert.deepEqual(serviceProvider.subscribesTo!(r.spec), ['File/web-unit']);
      const actual = await h.apply(r, await h.observe(r));
      await h.destroy(r, actual);
      assert.ok(existsSync(unitPath(sb)), 'the File resource owns the unit file');
      assert.ok(!linked(wantsLink(sb)));
      void unitOwner;
    }));
});

describe(
  'Service running state without systemd as PID 1',
  { skip: noSystemctl || (systemdRunning() && 'systemd runs here') },
  () => {
    it('says so at plan time (observe), naming spec.state, and changes nothing', () =>
      withService(async (h) => {
        const r = await h.load({ name: 'spt-web', state: 'running' });
        await assert.rejects(h.observe(r), (err: unknown) => {
          assert.ok(err instanceof ProviderError);
          assert.equal(err.code, 'SETPOINT_SYSTEMD_NOT_RUNNING');
          assert.equal(err.field, 'spec.state');
          assert.match(err.message, /systemd is not running as PID 1/);
          assert.match(err.hint ?? '', /unit files and enablement work without it/);
          return true;
        });
      }));

    it('refuses a restart it cannot do when a restartOn resource changed', async () =>
      withService(async (h, sb) => {
        const r = await h.load({ name: 'spt-web', unit: UNIT, restartOn: ['File/web-conf'] });
        void sb;
        await assert.rejects(
          serviceProvider.notify!(r.desired, undefined, ['File/default/web-conf'], r.ctx),
          (err: unknown) => {
            assert.ok(err instanceof ProviderError);
            assert.equal(err.field, 'spec.restartOn');
            return true;
          },
        );
      }));
  },
);

describe(
  'Service running state with systemd',
  {
    skip:
      !systemdRunning() && 'systemd is not PID 1 on this host (a container): the running-state path needs it',
  },
  () => {
    it('starts the unit, reports ActiveState, stops it on removal', () =>
      withService(async (h) => {
        const spec = { name: 'spt-web-live', unit: UNIT, state: 'running' };
        const { r, actual } = await h.converge(spec);
        assert.equal(actual.activeState, 'active');
        assert.equal(serviceProvider.health!(r.desired, actual).status, 'Healthy');
        spawnSync('systemctl', ['stop', 'spt-web-live.service']);
        const fresh = await h.load(spec);
        assert.deepEqual(
          h.diff(fresh, await h.observe(fresh)).map((c) => c.path),
          ['spec.state'],
        );
        const repaired = await h.apply(fresh, await h.observe(fresh));
        await h.destroy(fresh, repaired);
        assert.equal(await h.observe(fresh), undefined);
      }));
  },
);
