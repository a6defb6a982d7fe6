/**
 * Readiness probes: an HTTP GET that must answer with the expected status,
 * a TCP connect, or a command that must exit 0, each bounded by the probe
 * timeout. A probe never throws: any failure means "not ready".
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { runCommand } from '../../util/command.js';
import { replicaEnv, substitute, type ProcessDesired } from './desired.js';

/** Whether replica `index` (known to be running since `startedAt`) is ready. */
export async function probeReady(
  desired: ProcessDesired,
  index: number,
  startedAt: number,
): Promise<boolean> {
  const r = desired.spec.readiness;
  const timing = desired.readiness;
  if (!r || !timing) return true;
  if (Date.now() - startedAt < timing.initialDelayMs) return false;
  try {
    if (r.http) return await probeHttp(substitute(r.http.url, index), r.http.expectStatus, timing.timeoutMs);
    if (r.tcp)
      return await probeTcp(
        substitute(r.tcp.host, index),
        Number(substitute(String(r.tcp.port), index)),
        timing.timeoutMs,
      );
    if (r.exec) {
      const command = Array.isArray(r.exec.command)
        ? r.exec.command.map((a) => substitute(a, index))
        : substitute(r.exec.command, index);
      const result = await runCommand(command, {
        cwd: desired.cwd,
        env: replicaEnv(desired, index),
        timeoutMs: timing.timeoutMs,
        maxOutputBytes: 4096,
      });
      return result.exitCode === 0 && !result.timedOut;
    }
  } catch {
    return false;
  }
  return false;
}

function probeHttp(url: string, expectStatus: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    // agent: false, so no keep-alive socket outlives the probe.
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === expectStatus);
      req.destroy();
    });
    const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.on('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
    req.end();
  });
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<boolean> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
