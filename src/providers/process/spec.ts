/**
 * The Process kind's spec: a supervised command with replicas, a restart
 * policy with crash-loop backoff, a readiness probe, a stop signal with a
 * grace period and rotating log files.
 */
import * as z from 'zod';
import { SecretRefSchema } from '../../secrets/index.js';
import { DurationSchema } from '../../util/duration.js';
import { EnsureSchema } from '../fs/index.js';

const SUBSTITUTION = 'May contain ${replica} (the 0-based replica index) or ${replica+N} (the index plus N).';

/** Signals a process may be asked to stop with. */
export const STOP_SIGNALS = [
  'SIGTERM',
  'SIGINT',
  'SIGQUIT',
  'SIGHUP',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
  'SIGKILL',
] as const;

const ProbeCommandSchema = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .describe(`A shell command (run with /bin/sh -c) or an argv list. ${SUBSTITUTION}`);

const HttpProbeSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL')
      .describe(`The URL to GET. ${SUBSTITUTION}`),
    expectStatus: z
      .number()
      .int()
      .min(100)
      .max(599)
      .default(200)
      .describe('The status that means ready. Defaults to 200.'),
  })
  .describe('Ready when a GET of the URL answers with the expected status within the timeout.');

const TcpProbeSchema = z
  .strictObject({
    port: z
      .union([
        z.number().int().min(1).max(65535),
        z
          .string()
          .regex(/^(\d+|.*\$\{replica(\s*\+\s*\d+)?\}.*)$/, 'a port number or a ${replica+N} expression'),
      ])
      .describe(`The port to connect to. ${SUBSTITUTION}`),
    host: z.string().min(1).default('127.0.0.1').describe('The host to connect to. Defaults to 127.0.0.1.'),
  })
  .describe('Ready when a TCP connection to host:port opens within the timeout.');

const ExecProbeSchema = z
  .strictObject({ command: ProbeCommandSchema })
  .describe(
    "Ready when the command exits 0 within the timeout; it runs in the replica's cwd with its environment.",
  );

export const ReadinessSchema = z
  .strictObject({
    http: HttpProbeSchema.optional(),
    tcp: TcpProbeSchema.optional(),
    exec: ExecProbeSchema.optional(),
    period: DurationSchema.default('5s').describe(
      'How often `serve` probes a running replica. Defaults to 5s.',
    ),
    timeout: DurationSchema.default('2s').describe('How long one probe may take. Defaults to 2s.'),
    initialDelay: DurationSchema.default('0s').describe(
      'A replica counts as not ready for this long after it starts. Defaults to 0s.',
    ),
  })
  .superRefine((r, ctx) => {
    const given = (['http', 'tcp', 'exec'] as const).filter((k) => r[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: given.length > 1 ? [given[1]] : [],
        message: `set exactly one of http, tcp or exec (found ${given.length === 0 ? 'none' : given.join(' and ')})`,
      });
  })
  .describe('When a running replica counts as ready. Without it, a running replica is ready.');

const CountOrPercent = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d{1,3}%$/, 'a count such as 1 or a percentage such as "25%"'),
]);

/** A resource id such as "File/web-conf" (the namespace may be left out). */
const RefSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]*\/[^/\s]+(\/[^/\s]+)?$/, 'a resource id such as "File/web-conf"');

export const RollingUpdateSchema = z
  .strictObject({
    maxUnavailable: CountOrPercent.default(1).describe(
      'How many replicas may be unavailable during an update (a count, or a percentage of replicas rounded down); a replica that is down counts. Defaults to 1.',
    ),
    maxSurge: CountOrPercent.default(0).describe(
      'How many extra replicas (at indexes from `replicas` on) may run the new spec during an update, before old ones are taken down (a count, or a percentage rounded up). Use it when replicas can run side by side (ports from ${replica+N}, or SO_REUSEPORT). Defaults to 0.',
    ),
    progressDeadline: DurationSchema.default('60s').describe(
      'How long a new replica may take to become ready; past it the update stops and the replicas go back to the previous spec. Defaults to 60s.',
    ),
    minReady: DurationSchema.optional().describe(
      'How long a new replica must stay ready before the next one is replaced. Defaults to 0s with a readiness probe, 1s without one.',
    ),
  })
  .describe(
    'How a spec change rolls through the replicas: one batch at a time, each waiting for readiness, rolled back when a new replica is not ready by progressDeadline.',
  );

export const ProcessSpecSchema = z
  .strictObject({
    command: z
      .string()
      .min(1)
      .describe('The executable: an absolute path, a path relative to cwd, or a name found on PATH.'),
    args: z.array(z.string()).default([]).describe(`Arguments. ${SUBSTITUTION} Defaults to none.`),
    env: z
      .record(
        z.string().regex(/^[^=\0]+$/, 'a variable name without "="'),
        z.union([z.string(), z.strictObject({ secretRef: SecretRefSchema })]),
      )
      .default({})
      .describe(
        `Environment variables; values may be secretRefs (resolved at apply time, never stored). ${SUBSTITUTION} ` +
          "The process also gets PATH, HOME, USER, LOGNAME, SHELL, LANG, LC_ALL, TZ and TMPDIR from setpoint's environment and SETPOINT_REPLICA (its index). Defaults to none.",
      ),
    cwd: z
      .string()
      .min(1)
      .optional()
      .describe("Working folder, absolute or relative to the manifest. Defaults to the manifest's folder."),
    replicas: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(1)
      .describe('How many copies run; 0 keeps none running. Defaults to 1.'),
    restartPolicy: z
      .enum(['Always', 'OnFailure', 'Never'])
      .default('Always')
      .describe(
        'When an exited replica is started again: always, only after a failure (not exit 0), or never. Defaults to Always.',
      ),
    backoff: z
      .strictObject({
        initial: DurationSchema.default('1s').describe(
          'The wait before the second restart in a row. Defaults to 1s.',
        ),
        max: DurationSchema.default('5m').describe(
          'The longest wait; a replica that ran twice this long has its count reset. Defaults to 5m.',
        ),
      })
      .default({ initial: '1s', max: '5m' })
      .describe(
        'Crash-loop backoff: the first restart is at once, then the wait doubles from initial up to max. Defaults to 1s and 5m.',
      ),
    readiness: ReadinessSchema.optional(),
    stopSignal: z
      .enum(STOP_SIGNALS)
      .default('SIGTERM')
      .describe("Sent to the replica's process group to stop it. Defaults to SIGTERM."),
    gracePeriod: DurationSchema.default('10s').describe(
      'How long a stopping replica may take before its process group gets SIGKILL. Defaults to 10s.',
    ),
    logs: z
      .strictObject({
        dir: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Folder of the log files <name>-<replica>.log, absolute or relative to the manifest. Defaults to the provider's working folder.",
          ),
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(10 * 1024 * 1024)
          .describe(
            'A log file bigger than this is rotated (copy, then truncate). Defaults to 10485760 (10 MiB).',
          ),
        keep: z
          .number()
          .int()
          .min(0)
          .max(100)
          .default(5)
          .describe('Rotated files kept (.1 is the newest). Defaults to 5.'),
      })
      .default({ maxBytes: 10 * 1024 * 1024, keep: 5 })
      .describe('Standard output and error of each replica, appended to one file per replica.'),
    stopWithServe: z
      .boolean()
      .default(false)
      .describe(
        'Stop the replicas when `setpoint serve` stops; otherwise they keep running and are adopted on the next start. Defaults to false.',
      ),
    rollingUpdate: RollingUpdateSchema.default({
      maxUnavailable: 1,
      maxSurge: 0,
      progressDeadline: '60s',
    }),
    restartOn: z
      .array(RefSchema)
      .optional()
      .describe(
        'Resource ids (e.g. its config File): when one of them changes in a run, the replicas are restarted one at a time after it, as a rolling update. Defaults to none.',
      ),
    ensure: EnsureSchema,
  })
  .superRefine((s, ctx) => {
    const { maxUnavailable, maxSurge } = s.rollingUpdate;
    if ((maxUnavailable === 0 || maxUnavailable === '0%') && (maxSurge === 0 || maxSurge === '0%'))
      ctx.addIssue({
        code: 'custom',
        path: ['rollingUpdate', 'maxUnavailable'],
        message: 'maxUnavailable and maxSurge cannot both be 0: no replica could be replaced',
      });
  })
  .describe(
    'A supervised process: replicas, restart with backoff, readiness, graceful stop and rotating logs.',
  );

export type ProcessSpec = z.infer<typeof ProcessSpecSchema>;
export type RollingUpdateSpec = z.infer<typeof RollingUpdateSchema>;
export type ReadinessSpec = z.infer<typeof ReadinessSchema>;
export type RestartPolicy = ProcessSpec['restartPolicy'];
export type StopSignal = (typeof STOP_SIGNALS)[number];
