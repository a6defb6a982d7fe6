/**
 * `setpoint render`: the final manifests of an environment, after variables
 * and overlays, before kinds are validated. The output is itself a valid
 * manifest file (multi-document YAML, or a JSON list with --json).
 */
import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import { lazy } from '../../util/lazy.js';

const yaml = lazy<typeof import('yaml')>('yaml');
import { SetpointError } from '../../errors.js';
import type { RenderedDocument } from '../../render/index.js';
import { collect, run, runClient } from '../context.js';
import { printNodeSet } from '../node-views.js';
import { printDiagnostics } from '../diagnostics.js';

export function register(program: Command): void {
  program
    .command('render')
    .description(
      'print the final manifests (after --env overlays and ${variables}), before kinds are validated',
    )
    .option('-f, --file <path>', 'manifest file or folder, walked recursively (repeatable)', collect, [])
    .option('--node <name>', "print this enrolled node's compiled set (what its agent gets now)")
    .action((opts: { file: string[]; node?: string }, cmd: Command) =>
      opts.node
        ? runClient(cmd, (api, o) => printNodeSet(api, o, opts.node!))
        : run(cmd, async (api, o) => {
            const { documents, diagnostics } = await api.render({ paths: opts.file });
            if (diagnostics.some((d) => d.severity === 'error'))
              throw new SetpointError(
                'cannot render the manifests; nothing was printed',
                'SETPOINT_RENDER_INVALID',
                undefined,
                diagnostics,
              );
            const { escapeLiterals } = await import('../../render/variables.js');
            if (o.json) o.printJson(documents.map((d) => escapeLiterals(d.value)));
            else {
              printDiagnostics(o, diagnostics);
              if (documents.length) o.out(toYaml(documents, api.settings.root, escapeLiterals));
            }
          }),
    );
}

/** Multi-document YAML, each document headed by where it was declared and which overlays patched it. */
export function toYaml(
  documents: readonly RenderedDocument[],
  root: string,
  escapeLiterals: <T>(value: T) => T,
): string {
  return documents
    .map((d) => {
      const patched = d.patchedBy?.length
        ? `, patched by ${d.patchedBy.map((p) => where(p, root)).join(', ')}`
        : '';
      return `# Source: ${where(d, root)}${patched}\n${yaml().stringify(escapeLiterals(d.value), { lineWidth: 0 })}`;
    })
    .join('---\n')
    .trimEnd();
}

/** `file:line`, the file relative to the project when it is inside. */
function where(d: { file: string; line: number }, root: string): string {
  const rel = relative(root, d.file);
  return `${rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : d.file}:${d.line}`;
}
