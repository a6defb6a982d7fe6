import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SCHEMA_FILES } from '../../api/schema-files.js';
import { EXIT, outputFor } from '../context.js';

/** Where init puts the JSON Schemas, relative to the project: editors read them offline, teammates get them with Git. */
const SCHEMA_DIR = 'schemas';

/** The modeline that makes yaml-language-server (VS Code, Neovim, Helix...) validate a file against a schema. */
function modeline(schemaPath: string): string {
  return `# yaml-language-server: $schema=${schemaPath}\n`;
}

const SETTINGS = `# setpoint project settings. Every field is optional; defaults shown.
manifests: [manifests]        # what plan/apply/drift read when -f is not given
state: .setpoint/state.db     # SQLite state store (or a postgres:// URL)
parallelism: 64               # actions in flight at once during apply
namespace: default            # namespace of resources that name none
defaults:
  remediation: auto           # serve: auto | alert | approve
  prune: false                # delete resources that leave the manifests
`;

function example(root: string): string {
  const out = join(root, 'out');
  return `${modeline(`../${SCHEMA_DIR}/${SCHEMA_FILES.manifest}`)}# A folder and a file in it. Paths are absolute; edit them to taste.
kind: Directory
metadata:
  name: out
spec:
  path: ${out}
  mode: "0755"
---
kind: File
metadata:
  name: hello
  labels: { owner: me }
spec:
  path: ${join(out, 'hello.txt')}
  content: |
    hello from setpoint
  mode: "0644"
dependsOn: [Directory/out]
`;
}

export function register(program: Command): void {
  program
    .command('init')
    .description(
      'scaffold a project: setpoint.yaml, an example manifest, JSON Schemas for editors, .gitignore for the state',
    )
    .argument('[dir]', 'project folder', '.')
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(cmd);
      // Every built-in kind's schema, loaded here only (other commands, the agent above all, do without).
      const { defaultRegistry } = await import('../../providers/index.js');
      const { manifestSchema, settingsSchema } = await import('../../api/json-schemas.js');
      const root = resolve(dir);
      const files: Array<[string, string]> = [
        [join(root, 'setpoint.yaml'), modeline(`${SCHEMA_DIR}/${SCHEMA_FILES.settings}`) + SETTINGS],
        [join(root, 'manifests', 'example.yaml'), example(root)],
        [join(root, SCHEMA_DIR, SCHEMA_FILES.settings), JSON.stringify(settingsSchema(), null, 2) + '\n'],
        [
          join(root, SCHEMA_DIR, SCHEMA_FILES.manifest),
          JSON.stringify(manifestSchema(defaultRegistry()), null, 2) + '\n',
        ],
      ];
      const clash = files.filter(([f]) => existsSync(f)).map(([f]) => f);
      if (clash.length > 0) {
        o.err(
          o.colors.red(`error: not overwriting ${clash.join(', ')}`) +
            '\n  hint: init an empty folder, or remove them first',
        );
        process.exitCode = EXIT.error;
        return;
      }
      for (const [f, text] of files) {
        mkdirSync(join(f, '..'), { recursive: true });
        writeFileSync(f, text);
        o.out(`created ${f}`);
      }
      const gitignore = join(root, '.gitignore');
      const current = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
      if (!current.split('\n').includes('.setpoint/')) {
        writeFileSync(gitignore, current + (current && !current.endsWith('\n') ? '\n' : '') + '.setpoint/\n');
        o.out(`${current ? 'updated' : 'created'} ${gitignore}`);
      }
      o.out(
        `\nEditors with the YAML language server validate setpoint.yaml and the manifests against ${SCHEMA_DIR}/` +
          ` (refresh it after an upgrade: setpoint schema --all --out ${SCHEMA_DIR}).` +
          `\nNext: cd ${dir} && setpoint plan`,
      );
    });
}
