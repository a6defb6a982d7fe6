import { InvalidArgumentError, type Command } from 'commander';
import { isRole, ROLES, type Role } from '../../auth/index.js';
import { collect, runClient } from '../context.js';
import { ago, table } from '../output.js';

function role(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
  return value;
}

export function register(program: Command): void {
  const token = program
    .command('token')
    .description('API tokens for `setpoint serve`: create (shown once), list, revoke');

  token
    .command('create')
    .description('create a bearer token; it is printed once and stored only as a sha256')
    .requiredOption('--name <name>', 'who or what uses it; the actor in the audit log')
    .requiredOption('--role <role>', `${ROLES.join(' < ')}`, role)
    .option('--namespace <ns>', 'only this namespace (repeatable; default: every namespace)', collect, [])
    .action((opts: { name: string; role: Role; namespace: string[] }, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const { token: secret, info } = await api.createToken({
          name: opts.name,
          role: opts.role,
          namespaces: opts.namespace,
        });
        if (o.json) {
          o.printJson({ token: secret, ...info });
          return;
        }
        o.out(secret);
        o.err(
          o.colors.dim(
            `token ${info.name}: role ${info.role}, ${info.namespaces.length ? `namespaces ${info.namespaces.join(', ')}` : 'every namespace'}. Shown once: store it now.`,
          ),
        );
      }),
    );

  token
    .command('list')
    .description('the tokens (never their secrets)')
    .action((_opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        const list = await api.listTokens();
        if (o.json) {
          o.printJson(list);
          return;
        }
        if (list.length === 0) {
          o.out('No tokens. `setpoint token create --name NAME --role viewer` makes one.');
          return;
        }
        o.out(
          table(
            ['NAME', 'ROLE', 'NAMESPACES', 'CREATED', 'BY', 'STATE'],
            list.map((t) => [
              t.name,
              t.role,
              t.namespaces.length ? t.namespaces.join(',') : '*',
              ago(t.createdAt),
              t.createdBy,
              t.revokedAt
                ? o.colors.red(`revoked ${ago(t.revokedAt)} by ${t.revokedBy}`)
                : o.colors.green('active'),
            ]),
            o.colors,
          ),
        );
      }),
    );

  token
    .command('revoke')
    .description('revoke a token: it stops authenticating at once')
    .argument('<name>')
    .action((name: string, _opts: unknown, cmd: Command) =>
      runClient(cmd, async (api, o) => {
        await api.revokeToken(name);
        if (o.json) o.printJson({ revoked: name });
        else o.out(`revoked ${name}`);
      }),
    );
}
