/**
 * `setpoint render` end to end, with the built CLI: a base plus a prod
 * overlay renders to the expected manifests; variables follow their
 * precedence (--var, SETPOINT_VAR_<name>, the environment, setpoint.yaml);
 * an undefined variable or an unknown target is a clear error with file:line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, sandbox, type Sandbox } from './helpers.js';

const SETTINGS = `variables: { region: eu, greeting: hello, replicas: 2 }
environments:
  prod:
    overlays: [overlays/prod]
    variables: { greeting: "hello, prod", replicas: 4 }
`;

const BASE = `kind: Directory
metadata:
  name: srv
spec:
  path: /srv/\${region}
---
kind: File
metadata:
  name: motd
spec:
  path: /srv/\${region}/motd
  content: "\${greeting} from \${region}\\n"
  mode: "0644"
dependsOn: [Directory/srv]
---
kind: File
metadata:
  name: debug
spec:
  path: /srv/\${region}/debug
  content: "debug on\\n"
---
kind: Process
metadata:
  name: web
spec:
  command: node
  args: [server.js, --port, "\${replica+8080}"]
  replicas: \${replicas}
`;

const PROD = `patch: File/motd
with:
  metadata:
    labels: { tier: critical }
  spec:
    mode: null
    owner: www-data
---
delete: File/debug
---
patch: Process/web
with:
  spec:
    args: [server.js, --port, "\${replica+9090}", --prod]
---
kind: File
metadata:
  name: banner
spec:
  path: /srv/\${region}/banner
  content: "$\${not a variable}\\n"
`;

const EXPECTED_PROD = `# Source: manifests/web.yaml:1
kind: Directory
metadata:
  name: srv
spec:
  path: /srv/eu
---
# Source: manifests/web.yaml:7, patched by overlays/prod/web.yaml:1
kind: File
metadata:
  name: motd
  labels:
    tier: critical
spec:
  path: /srv/eu/motd
  content: |
    hello, prod from eu
  owner: www-data
dependsOn:
  - Directory/srv
---
# Source: manifests/web.yaml:23, patched by overlays/prod/web.yaml:11
kind: Process
metadata:
  name: web
spec:
  command: node
  args:
    - server.js
    - --port
    - \${replica+9090}
    - --prod
  replicas: 4
---
# Source: overlays/prod/web.yaml:16
kind: File
metadata:
  name: banner
spec:
  path: /srv/eu/banner
  content: |
    $\${not a variable}
`;

function project(files: Record<string, string> = {}): Sandbox {
  const s = sandbox('setpoint-render-');
  s.write({
    'setpoint.yaml': SETTINGS,
    'manifests/web.yaml': BASE,
    'overlays/prod/web.yaml': PROD,
    ...files,
  });
  return s;
}

/** No SETPOINT_ENV or SETPOINT_VAR_* from the environment running the tests. */
const clean = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => k === 'SETPOINT_ENV' || k.startsWith('SETPOINT_VAR_'))
    .map((k) => [k, undefined]),
);

type Doc = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };

describe('setpoint render', () => {
  it('renders the prod overlay as expected', () => {
    const s = project();
    const r = s.run(['render', '--env', 'prod'], { env: clean });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED_PROD);
    assert.equal(r.stderr, '');
    // SETPOINT_ENV selects the same environment.
    assert.equal(s.run(['render'], { env: { ...clean, SETPOINT_ENV: 'prod' } }).stdout, EXPECTED_PROD);
  });

  it('renders the base alone without an environment, and as a JSON list with --json', () => {
    const s = project();
    const docs = json<Doc[]>(s.run(['render', '--json'], { env: clean }));
    assert.deepEqual(
      docs.map((d) => `${d.kind}/${d.metadata.name}`),
      ['Directory/srv', 'File/motd', 'File/debug', 'Process/web'],
    );
    assert.equal(docs[1].spec.content, 'hello from eu\n');
    assert.equal(docs[3].spec.replicas, 2, 'a typed variable keeps its type');
    assert.deepEqual(docs[3].spec.args, ['server.js', '--port', '${replica+8080}']);
  });

  it('prints manifests that validate as they are', () => {
    const s = project();
    const r = s.run(['render', '--env', 'prod'], { env: clean });
    s.write({ 'rendered/all.yaml': r.stdout });
    const v = s.run(['validate', '-f', 'rendered/all.yaml'], { env: clean });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /Valid: 4 resources\./);
  });

  it('takes --var over SETPOINT_VAR_<name> over the environment over setpoint.yaml', () => {
    const s = project();
    const greeting = (args: string[], env: Record<string, string | undefined> = {}) => {
      const r = s.run(['render', '--json', '-f', 'manifests', ...args], { env: { ...clean, ...env } });
      assert.equal(r.code, 0, r.stderr);
      return json<Doc[]>(r)[1].spec.content;
    };
    assert.equal(greeting([]), 'hello from eu\n');
    assert.equal(greeting(['--env', 'prod']), 'hello, prod from eu\n');
    assert.equal(greeting(['--env', 'prod'], { SETPOINT_VAR_greeting: 'from env' }), 'from env from eu\n');
    assert.equal(
      greeting(['--env', 'prod', '--var', 'greeting=from cli', '--var', 'region=us'], {
        SETPOINT_VAR_greeting: 'from env',
      }),
      'from cli from us\n',
    );
  });

  it('reports an undefined variable with file:line:col, id, field and how to define it; prints nothing', () => {
    const s = project({ 'manifests/web.yaml': BASE.replace('${greeting} from', '${gretting} from') });
    const r = s.run(['render', '--env', 'prod'], { env: clean });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^error: manifests\/web\.yaml:12:12: File\/default\/motd: spec\.content: undefined variable "gretting"$/m,
    );
    assert.match(
      r.stderr,
      /hint: did you mean \$\{greeting\}\? Or define it .*--var gretting=VALUE or with SETPOINT_VAR_gretting=VALUE/,
    );
    assert.match(r.stderr, /^1 error$/m);
  });

  it('reports a patch of an unknown id at the overlay, with a did-you-mean', () => {
    const s = project({ 'overlays/prod/web.yaml': PROD.replace('patch: Process/web', 'patch: Process/wbe') });
    const r = s.run(['render', '--env', 'prod'], { env: clean });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error: overlays\/prod\/web\.yaml:11:8: Process\/default\/wbe: patch: patches Process\/default\/wbe, which is not declared$/m,
    );
    assert.match(r.stderr, /hint: did you mean Process\/default\/web\?/);
  });

  it('refuses an unknown environment and a --var of the wrong type, for render and for the other commands', () => {
    const s = project();
    for (const command of [['render'], ['validate'], ['plan']]) {
      const r = s.run([...command, '--env', 'prdo'], { env: clean });
      assert.equal(r.code, 1, command.join(' '));
      assert.match(r.stderr, /setpoint\.yaml:2:1: unknown environment "prdo"/);
      assert.match(r.stderr, /hint: did you mean "prod"\?/);
    }
    const typed = s.run(['render', '--var', 'replicas=lots'], { env: clean });
    assert.equal(typed.code, 1);
    assert.match(typed.stderr, /--var replicas: "lots" is not a number/);
    const syntax = s.run(['render', '--var', 'nonsense'], { env: clean });
    assert.equal(syntax.code, 1);
    assert.match(syntax.stderr, /expected name=value/);
  });
});
