/**
 * Examples at the end of each command's --help (kubectl and git do the same).
 * One table for the whole tree, by command path, so a command without
 * examples is easy to spot (a test fails on it). Commands that add their own
 * examples (`addHelpText('after', ...)`) are left as they are.
 */
import type { Command } from 'commander';

const EXAMPLES: Record<string, string[]> = {
  init: ['setpoint init', 'setpoint init ./infra'],
  validate: ['setpoint validate', 'setpoint validate -f manifests/web --json'],
  render: [
    'setpoint render --env prod',
    'setpoint render --var version=1.2.3 -f manifests/app.yaml',
    'setpoint render --node web1',
  ],
  drift: ['setpoint drift', 'setpoint drift --target File/web/motd --json'],
  serve: [
    'setpoint serve',
    'setpoint serve --listen 0.0.0.0:7000 --resync 2m',
    'setpoint serve --no-listen --log-format json',
  ],
  approvals: ['setpoint approvals', 'setpoint approvals --all --json'],
  approve: ['setpoint approve 3f2a9c1e -m "change ticket 42"', 'setpoint approve --all'],
  reject: ['setpoint reject 3f2a9c1e -m "not during the freeze"'],
  resume: ['setpoint resume File/web/motd'],
  sync: ['setpoint sync', 'setpoint sync platform --server http://127.0.0.1:7000'],
  sources: ['setpoint sources', 'setpoint sources --json'],
  rollback: ['setpoint rollback 1a2b3c4d', 'setpoint rollback 1a2b3c4d --source platform'],
  unpin: ['setpoint unpin', 'setpoint unpin platform'],
  rollout: ['setpoint rollout status', 'setpoint rollout pause --source app'],
  'rollout status': ['setpoint rollout status', 'setpoint rollout status --source app --json'],
  'rollout pause': [
    'setpoint rollout pause',
    'setpoint rollout pause --source app --server http://127.0.0.1:7420',
  ],
  'rollout resume': ['setpoint rollout resume', 'setpoint rollout resume --source app'],
  'rollout abort': ['setpoint rollout abort', 'setpoint rollout abort --source app'],
  'rollout promote': ['setpoint rollout promote', 'setpoint rollout promote --source app'],
  keygen: ['setpoint keygen', 'setpoint keygen --out ~/.config/setpoint'],
  sign: ['setpoint sign manifests', 'setpoint sign manifests --key ~/.config/setpoint/setpoint.key'],
  get: ['setpoint get File/web/motd', 'setpoint get File/web/motd --json'],
  describe: [
    'setpoint describe File/web/motd',
    'setpoint describe Process/web/api --json',
    'setpoint describe File/web/motd --node web1',
  ],
  history: ['setpoint history', 'setpoint history -n 5 --json'],
  events: ['setpoint events', 'setpoint events File/web/motd -n 20', 'setpoint events --node web1'],
  spans: ['setpoint spans File/web/motd', 'setpoint spans File/web/motd -n 5 --json'],
  audit: ['setpoint audit --since 24h', 'setpoint audit --actor ci --json'],
  'audit verify': ['setpoint audit verify', 'setpoint audit verify --file audit.jsonl --head 0f3cedf6'],
  'audit export': ['setpoint audit export -o audit.jsonl'],
  token: ['setpoint token create --name ci --role operator', 'setpoint token list'],
  'token create': [
    'setpoint token create --name ci --role operator',
    'setpoint token create --name web --role viewer --namespace web',
  ],
  'token list': ['setpoint token list --json'],
  'token revoke': ['setpoint token revoke ci'],
  agent: [
    'setpoint agent --server https://setpoint.example:7420 --enroll-token spe_… --label zone=a',
    'setpoint agent --state /var/lib/setpoint-agent',
  ],
  nodes: ['setpoint nodes', 'setpoint nodes --json --server https://setpoint.example:7420'],
  'nodes enroll-token': [
    'setpoint nodes enroll-token --ttl 1h --labels env=prod',
    'setpoint nodes enroll-token --ttl 15m --labels env=staging,team=web --uses 1',
  ],
  'nodes revoke': ['setpoint nodes revoke web-3'],
  'nodes rotate': ['setpoint nodes rotate web-3'],
  policies: ['setpoint policies', 'setpoint policies --policy no-root-files -n 50'],
  policy: ['setpoint policy test', 'setpoint policy test policies/'],
  'policy test': ['setpoint policy test', 'setpoint policy test policies/no-root.test.yaml'],
  alerts: ['setpoint alerts', 'setpoint alerts --all --since 2026-01-01T00:00:00Z'],
  'alerts ack': [
    'setpoint alerts ack 3f2a9c1e --actionable',
    'setpoint alerts ack 3f2a9c1e --noise -m "flapping check"',
  ],
  silence: [
    'setpoint silence create --matcher owner=team-web --duration 2h --comment "maintenance"',
    'setpoint silence list',
  ],
  'silence create': [
    'setpoint silence create --matcher owner=team-web --duration 2h --comment "maintenance"',
  ],
  'silence list': ['setpoint silence list --all'],
  'silence expire': ['setpoint silence expire 3f2a9c1e'],
  schema: ['setpoint schema File', 'setpoint schema --out schemas/'],
  state: ['setpoint state list', 'setpoint state rm File/web/motd', 'setpoint state prune'],
  'state migrate': ['PGPASSWORD=... setpoint state migrate --to postgres://setpoint@db.example.org/setpoint'],
  'state backup': ['setpoint state backup backups/state-$(date +%F).db'],
  'state restore': ['setpoint state restore backups/state-2026-12-01.db'],
  facts: ['setpoint facts', 'setpoint facts os.family', 'setpoint facts --json'],
  slo: ['setpoint slo rules > deploy/prometheus/slo-rules.yml'],
  'slo rules': ['setpoint slo rules', 'setpoint slo rules -o /etc/prometheus/rules/setpoint-slos.yml'],
};

/** The path of a command below the program: "audit verify". */
function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Whether the text the command prints after its help (addHelpText) already has examples. */
function hasOwnExamples(cmd: Command): boolean {
  let text = '';
  (cmd as unknown as import('node:events').EventEmitter).emit('afterHelp', {
    error: false,
    command: cmd,
    write: (s: string) => (text += s),
  });
  return text.includes('Examples:');
}

/** Adds the examples of EXAMPLES to every command of the tree that has none of its own. */
export function addExamples(program: Command): void {
  const visit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      const examples = EXAMPLES[pathOf(sub)];
      if (examples && !hasOwnExamples(sub))
        sub.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
      visit(sub);
    }
  };
  visit(program);
}
