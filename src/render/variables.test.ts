import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeFiles } from '../../test/helpers.js';
import { Diagnostics, readManifestFile, type RawDocument } from '../manifest/index.js';
import {
  interpolateDocument,
  interpolateDocuments,
  interpolateString,
  parseAssignment,
  resolveVariables,
  type Variables,
} from './variables.js';

function vars(values: Record<string, string | number | boolean>): Variables {
  return new Map(Object.entries(values).map(([name, value]) => [name, { value, from: 'variables' }]));
}

/** Writes `text` as a manifest file and parses it, so locations are real. */
function docsOf(text: string, name = 'm.yaml'): RawDocument[] {
  const dir = tempDir();
  writeFiles(dir, { [name]: text });
  const diags = new Diagnostics();
  const docs = readManifestFile(join(dir, name), diags);
  assert.deepEqual(diags.items, []);
  return docs;
}

describe('resolveVariables', () => {
  const settings = { region: 'eu', greeting: 'hello', replicas: 2, debug: false };

  it('takes, highest first: --var, SETPOINT_VAR_<name>, the environment, the top level', () => {
    const diags = new Diagnostics();
    const v = resolveVariables(
      {
        settings,
        environment: { name: 'prod', variables: { greeting: 'hello, prod', region: 'us' } },
        env: { SETPOINT_VAR_region: 'ap', SETPOINT_VAR_greeting: 'from env', PATH: '/bin' },
        cli: { greeting: 'from cli' },
      },
      diags,
    );
    assert.deepEqual(diags.items, []);
    assert.deepEqual(v.get('greeting'), { value: 'from cli', from: '--var' });
    assert.deepEqual(v.get('region'), { value: 'ap', from: 'SETPOINT_VAR_region' });
    assert.deepEqual(v.get('replicas'), { value: 2, from: 'variables' });
    assert.equal(v.has('PATH'), false, 'only SETPOINT_VAR_ variables count');
  });

  it('lets the environment win over the top level', () => {
    const v = resolveVariables(
      { settings, environment: { name: 'prod', variables: { greeting: 'hi' } } },
      new Diagnostics(),
    );
    assert.deepEqual(v.get('greeting'), { value: 'hi', from: 'environments.prod.variables' });
    assert.deepEqual(v.get('region'), { value: 'eu', from: 'variables' });
  });

  it('converts strings to the type a variable has in setpoint.yaml', () => {
    const v = resolveVariables(
      { settings, env: { SETPOINT_VAR_debug: 'true' }, cli: { replicas: '5' } },
      new Diagnostics(),
    );
    assert.equal(v.get('replicas')!.value, 5);
    assert.equal(v.get('debug')!.value, true);
  });

  it('reports a string that does not fit the declared type, naming where it came from', () => {
    const diags = new Diagnostics();
    const v = resolveVariables(
      { settings, env: { SETPOINT_VAR_debug: 'yes' }, cli: { replicas: 'many' } },
      diags,
    );
    assert.equal(diags.errors.length, 2);
    assert.match(diags.errors[0].summary, /^SETPOINT_VAR_debug: "yes" is not a boolean$/);
    assert.match(diags.errors[1].summary, /^--var replicas: "many" is not a number$/);
    assert.equal(diags.errors[1].code, 'SETPOINT_VARIABLE_INVALID');
    assert.equal(v.get('replicas')!.value, 2, 'the declared value stays');
  });

  it('keeps variables defined only outside setpoint.yaml as strings', () => {
    const v = resolveVariables({ cli: { port: '8080' } }, new Diagnostics());
    assert.equal(v.get('port')!.value, '8080');
  });
});

describe('parseAssignment', () => {
  it('splits at the first "=" and checks the name', () => {
    assert.deepEqual(parseAssignment('a=b=c'), { name: 'a', value: 'b=c' });
    assert.deepEqual(parseAssignment('empty='), { name: 'empty', value: '' });
    assert.equal(parseAssignment('novalue'), undefined);
    assert.equal(parseAssignment('=x'), undefined);
    assert.equal(parseAssignment('bad-name=x'), undefined);
  });
});

describe('interpolateString', () => {
  const v = vars({ name: 'web', port: 8080, on: true });

  it('joins values as text inside a longer string', () => {
    assert.deepEqual(interpolateString('${name}:${port} ${on}', v), { value: 'web:8080 true', problems: [] });
  });

  it('keeps the type of a typed variable when the whole value is the reference', () => {
    assert.equal(interpolateString('${port}', v).value, 8080);
    assert.equal(interpolateString('${on}', v).value, true);
    assert.equal(interpolateString('${name}', v).value, 'web');
    assert.equal(interpolateString(' ${port}', v).value, ' 8080');
  });

  it('reads $${...} as a literal ${...}', () => {
    assert.equal(interpolateString('$${name} is ${name}', v).value, '${name} is web');
    assert.equal(interpolateString('echo $${HOME:-/root}', v).value, 'echo ${HOME:-/root}');
    assert.equal(interpolateString('$${undefined_here}', v).problems.length, 0);
  });

  it('leaves ${replica} and ${replica+N} to the Process kind', () => {
    assert.deepEqual(interpolateString('--port=${replica+8080} #${replica} ${replica + 1}', v), {
      value: '--port=${replica+8080} #${replica} ${replica + 1}',
      problems: [],
    });
  });

  it('reports undefined and malformed references, leaving them as written', () => {
    assert.deepEqual(interpolateString('a ${nope} ${not a name} ${', v), {
      value: 'a ${nope} ${not a name} ${',
      problems: [
        { kind: 'undefined', name: 'nope' },
        { kind: 'invalid', text: '${not a name}' },
        { kind: 'invalid', text: '${' },
      ],
    });
  });

  it('leaves strings without references alone, dollar signs included', () => {
    assert.deepEqual(interpolateString('cost: $5, $$ and $HOME', v), {
      value: 'cost: $5, $$ and $HOME',
      problems: [],
    });
  });
});

describe('interpolateDocument', () => {
  const v = vars({ greeting: 'hello', region: 'eu', replicas: 3 });

  it('replaces values in every string of a document, never keys, without modifying the input', () => {
    const [doc] = docsOf(
      [
        'kind: File',
        'metadata:',
        '  name: motd-${region}',
        '  labels: { "${region}": "${region}" }',
        'spec:',
        '  path: /srv/motd',
        '  content: "${greeting} from ${region}\\n"',
        'dependsOn: ["Directory/${region}"]',
      ].join('\n'),
    );
    const before = structuredClone(doc.value);
    const diags = new Diagnostics();
    const out = interpolateDocument(doc, { variables: v }, diags);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(out.value, {
      kind: 'File',
      metadata: { name: 'motd-eu', labels: { '${region}': 'eu' } },
      spec: { path: '/srv/motd', content: 'hello from eu\n' },
      dependsOn: ['Directory/eu'],
    });
    assert.deepEqual(doc.value, before, 'the input is unchanged');
    assert.deepEqual(
      [out.file, out.index, out.line, out.column],
      [doc.file, doc.index, doc.line, doc.column],
    );
  });

  it('returns a document without references as the same object', () => {
    const [doc] = docsOf('kind: File\nmetadata: { name: a }\nspec: { path: /a, content: "$HOME" }\n');
    assert.equal(interpolateDocument(doc, { variables: v }, new Diagnostics()), doc);
  });

  it('turns an exact typed reference into a number', () => {
    const [doc] = docsOf(
      'kind: Process\nmetadata: { name: web }\nspec:\n  replicas: ${replicas}\n  args: ["${replica}", "--n=${replicas}"]\n',
    );
    const out = interpolateDocument(doc, { variables: v }, new Diagnostics());
    assert.deepEqual((out.value as { spec: unknown }).spec, { replicas: 3, args: ['${replica}', '--n=3'] });
  });

  it("leaves a Policy's spec.message to the policy engine, and interpolates the rest", () => {
    const [policy, patch] = docsOf(
      [
        'kind: Policy',
        'metadata: { name: "owner-${region}" }',
        'spec:',
        '  message: "${object.metadata.name} needs an owner in ${region} ($${x})"',
        '  match: { namespaces: ["${region}"] }',
        '---',
        'patch: Policy/owner-eu',
        'with: { spec: { message: "${object.kind} ${nope}", action: "${greeting}" } }',
      ].join('\n'),
    );
    const diags = new Diagnostics();
    const [p, q] = interpolateDocuments([policy, patch], { variables: v }, diags);
    assert.deepEqual(diags.items, []);
    assert.deepEqual(p.value, {
      kind: 'Policy',
      metadata: { name: 'owner-eu' },
      spec: {
        message: '${object.metadata.name} needs an owner in ${region} ($${x})',
        match: { namespaces: ['eu'] },
      },
    });
    assert.deepEqual(q.value, {
      patch: 'Policy/owner-eu',
      with: { spec: { message: '${object.kind} ${nope}', action: 'hello' } },
    });
  });

  it('reports an undefined variable at the line and column of its string, with the id, field and defined names', () => {
    const docs = docsOf(
      [
        'kind: File', // 1
        'metadata:', // 2
        '  name: motd', // 3
        '  namespace: web', // 4
        'spec:', // 5
        '  path: /srv/motd', // 6
        '  content: "${gretting}, ${region}"', // 7
        '  mode: "0644"', // 8
      ].join('\n'),
    );
    const diags = new Diagnostics();
    const [out] = interpolateDocuments(docs, { variables: v }, diags);
    assert.equal(diags.items.length, 1);
    const d = diags.items[0];
    assert.equal(d.code, 'SETPOINT_VARIABLE_UNDEFINED');
    assert.equal(d.summary, 'undefined variable "gretting"');
    assert.deepEqual([d.file, d.line, d.column], [docs[0].file, 7, 12]);
    assert.equal(d.resourceId, 'File/web/motd');
    assert.equal(d.field, 'spec.content');
    assert.match(d.detail!, /defined: greeting \(variables\), region \(variables\), replicas \(variables\)/);
    assert.match(d.hint!, /did you mean \$\{greeting\}\?/);
    assert.match(d.hint!, /--var gretting=VALUE/);
    assert.match(d.hint!, /SETPOINT_VAR_gretting=VALUE/);
    assert.match(d.hint!, /\$\$\{gretting\} for a literal/);
    assert.equal((out.value as { spec: { content: string } }).spec.content, '${gretting}, eu');
  });

  it('locates problems in list items and in JSON files, and names the target of an overlay patch', () => {
    const [json] = docsOf(
      JSON.stringify([{ patch: 'File/motd', with: { spec: { args: ['ok', '${missing}'] } } }], null, 2),
      'o.json',
    );
    const diags = new Diagnostics();
    interpolateDocument(json, { variables: vars({}) }, diags);
    const d = diags.items[0];
    assert.equal(d.resourceId, 'File/default/motd');
    assert.equal(d.field, 'with.spec.args[1]');
    assert.deepEqual([d.line, d.column], [8, 11]);
    assert.equal(d.detail, 'no variables are defined');
  });

  it('reports a malformed reference with the escape as the hint', () => {
    const [doc] = docsOf('kind: Exec\nmetadata: { name: x }\nspec:\n  check: "test -n ${HOME:-/root}"\n');
    const diags = new Diagnostics();
    interpolateDocument(doc, { variables: v }, diags);
    assert.equal(diags.items[0].code, 'SETPOINT_VARIABLE_INVALID');
    assert.equal(diags.items[0].summary, '${HOME:-/root} is not a variable reference');
    assert.match(diags.items[0].hint!, /\$\$\{HOME:-\/root\}/);
    assert.deepEqual([diags.items[0].line, diags.items[0].column], [4, 10]);
  });
});

describe('${facts.*}', () => {
  const facts = () =>
    ({ hostname: 'web1', cpus: 4, os: { family: 'debian', version: '12' }, ipv4: ['10.0.0.5'] }) as never;

  it('replaces a fact by its dotted path, keeping its type when it is the whole value', () => {
    assert.deepEqual(interpolateString('${facts.hostname}.example', vars({}), facts).value, 'web1.example');
    assert.equal(interpolateString('${facts.cpus}', vars({}), facts).value, 4);
    assert.equal(
      interpolateString('${facts.os.family}-${facts.ipv4.0}', vars({}), facts).value,
      'debian-10.0.0.5',
    );
    assert.equal(interpolateString('$${facts.hostname}', vars({}), facts).value, '${facts.hostname}');
  });

  it('reports an unknown fact or a mapping at the line of the field', () => {
    const docs = docsOf(
      'kind: File\nmetadata:\n  name: motd\nspec:\n  path: /etc/${facts.os.familly}\n  content: ${facts.os}\n',
    );
    const diags = new Diagnostics();
    interpolateDocuments(docs, { variables: vars({}), facts }, diags);
    const [unknown, mapping] = diags.items;
    assert.equal(unknown.code, 'SETPOINT_FACT_UNDEFINED');
    assert.equal(unknown.line, 5);
    assert.equal(unknown.field, 'spec.path');
    assert.match(unknown.summary, /unknown fact \$\{facts\.os\.familly\}/);
    assert.match(unknown.hint!, /did you mean \$\{facts\.os\.family\}/);
    assert.equal(mapping.line, 6);
    assert.match(mapping.summary, /is a mapping, not a single value/);
  });
});
