/**
 * Process: the shared provider conformance suite, with real child processes.
 * Drift is a replica killed with SIGKILL; the failed apply is a missing cwd.
 */
import { STATE_DIR, WORK_ROOT, killReplica, removeAll, resetWork, sleeper } from './testkit.js';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import { runConformance } from '../../provider/conformance.js';
import { processProvider } from './index.js';

// The Harness names every resource Process/default/conformance, so each case starts from an empty work root.
afterEach(resetWork);
after(removeAll);

runConformance({
  provider: processProvider,
  validSpec: (sb) => {
    const cwd = join(sb.targetDir, 'app');
    mkdirSync(cwd, { recursive: true });
    return {
      command: process.execPath,
      args: ['-e', sleeper()],
      cwd,
      backoff: { initial: '100ms', max: '1s' },
      gracePeriod: '2s',
    };
  },
  // State files where the test kit (and its cleanup) looks for them.
  harness: { workRoot: WORK_ROOT },
  createFields: ['spec.command', 'spec.args', 'spec.replicas'],
  drifts: [
    {
      name: 'a replica killed with SIGKILL',
      breakState: () => void killReplica(0, STATE_DIR),
      fields: ['spec.replicas'],
    },
  ],
  badSpecs: [
    { name: 'no command', spec: () => ({ args: ['x'] }), field: 'spec.command' },
    { name: 'negative replicas', spec: () => ({ command: 'node', replicas: -1 }), field: 'spec.replicas' },
    {
      name: 'a fractional replica count',
      spec: () => ({ command: 'node', replicas: 1.5 }),
      field: 'spec.replicas',
    },
    {
      name: 'an unknown restart policy',
      spec: () => ({ command: 'node', restartPolicy: 'Sometimes' }),
      field: 'spec.restartPolicy',
    },
    {
      name: 'two readiness probes',
      spec: () => ({ command: 'node', readiness: { tcp: { port: 80 }, exec: { command: 'true' } } }),
      field: 'spec.readiness.exec',
    },
    {
      name: 'a readiness without a probe',
      spec: () => ({ command: 'node', readiness: { period: '1s' } }),
      field: 'spec.readiness',
    },
    {
      name: 'a tcp port out of range',
      spec: () => ({ command: 'node', readiness: { tcp: { port: 70000 } } }),
      field: 'spec.readiness.tcp.port',
    },
    {
      name: 'an http probe without a URL scheme',
      spec: () => ({ command: 'node', readiness: { http: { url: 'localhost:80/' } } }),
      field: 'spec.readiness.http.url',
    },
    {
      name: 'an unknown stop signal',
      spec: () => ({ command: 'node', stopSignal: 'SIGFOO' }),
      field: 'spec.stopSignal',
    },
    {
      name: 'a duration without a unit',
      spec: () => ({ command: 'node', gracePeriod: '10 seconds' }),
      field: 'spec.gracePeriod',
    },
    {
      name: 'a bad backoff duration',
      spec: () => ({ command: 'node', backoff: { initial: 'soon' } }),
      field: 'spec.backoff.initial',
    },
    {
      name: 'a tiny log size',
      spec: () => ({ command: 'node', logs: { maxBytes: 10 } }),
      field: 'spec.logs.maxBytes',
    },
    {
      name: 'a secretRef naming two sources',
      spec: () => ({ command: 'node', env: { T: { secretRef: { env: 'A', file: 'b' } } } }),
      field: 'spec.env.T.secretRef',
    },
    { name: 'an unknown field', spec: () => ({ command: 'node', replica: 2 }), field: 'spec.replica' },
  ],
  failure: {
    start: 'absent',
    breakApply: (spec) => {
      rmSync(spec.cwd!, { recursive: true });
      return () => mkdirSync(spec.cwd!, { recursive: true });
    },
    field: 'spec.cwd',
  },
});
