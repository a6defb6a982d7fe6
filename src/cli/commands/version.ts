/** `setpoint version`: the build, for bug reports and support (version, Git commit when known, Node, platform). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { VERSION } from '../../version.js';
import { createOutput } from '../output.js';

export interface BuildInfo {
  version: string;
  /** The Git commit of the code running, when it runs from a checkout (SETPOINT_COMMIT overrides). */
  commit?: string;
  node: string;
  platform: string;
  arch: string;
}

/** The commit of the checkout this code runs from, if it runs from one. */
function gitCommit(): string | undefined {
  if (process.env.SETPOINT_COMMIT) return process.env.SETPOINT_COMMIT;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir);
  if (!existsSync(join(dir, '.git'))) return undefined;
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return undefined;
  }
}

export function buildInfo(): BuildInfo {
  return {
    version: VERSION,
    commit: gitCommit(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
  };
}

export function register(program: Command): void {
  program
    .command('version')
    .description('the version of setpoint, its Git commit when known, Node and the platform')
    .addHelpText('after', '\nExamples:\n  setpoint version\n  setpoint version --json')
    .action((_opts: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<{ json?: boolean; color?: boolean }>();
      const o = createOutput({ json: g.json, color: g.color });
      const info = buildInfo();
      if (o.json) return o.printJson(info);
      o.out(`setpoint ${info.version}${info.commit ? ` (${info.commit.slice(0, 12)})` : ''}`);
      o.out(`node ${info.node} ${info.platform}/${info.arch}`);
    });
}
