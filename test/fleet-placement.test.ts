/**
 * A resource whose nodeSelector selects no enrolled node is admitted with a
 * warning naming it and its selector: `plan` shows it (real CLI, real
 * SQLite), and a resource for the server's own host never does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sandbox } from './helpers.js';

describe('fleet placement warnings', () => {
  it('plan warns about a resource that selects no enrolled node, naming its id and selector', () => {
    const sb = sandbox('setpoint-placement-');
    sb.write({
      'm.yaml': `kind: File
metadata: { name: here }
spec: { path: "${sb.path('here')}", content: "x" }
---
kind: File
metadata: { name: away }
spec: { path: "${sb.path('away')}", content: "x" }
nodeSelector:
  matchLabels: { env: nowhere }
  matchExpressions:
    - { key: facts.os.family, operator: In, values: [debian] }
`,
    });
    const r = sb.run(['plan', '-f', 'm.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /warning: m\.yaml:5:1: File\/default\/away: nodeSelector: File\/default\/away selects no enrolled node \(nodeSelector env=nowhere, facts\.os\.family in \(debian\)\)/,
    );
    assert.doesNotMatch(r.stderr, /File\/default\/here/);
    // The node resource is not planned for this host.
    assert.doesNotMatch(r.stdout, /File\/default\/away/);
  });
});
