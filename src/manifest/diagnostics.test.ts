/** Diagnostics: collection by severity, ordering, and the plain-text rendering users read. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeValue,
  Diagnostics,
  formatDiagnostic,
  formatLocation,
  sortDiagnostics,
  type Diagnostic,
} from './diagnostics.js';

describe('Diagnostics', () => {
  it('collects errors and warnings apart and says whether any error is present', () => {
    const diags = new Diagnostics();
    assert.equal(diags.hasErrors, false);
    diags.warning({ code: 'W', summary: 'careful' });
    assert.equal(diags.hasErrors, false);
    diags.error({ code: 'E', summary: 'broken' });
    diags.addAll([{ severity: 'error', code: 'E2', summary: 'also broken' }]);
    assert.equal(diags.hasErrors, true);
    assert.deepEqual(
      diags.errors.map((d) => d.code),
      ['E', 'E2'],
    );
    assert.deepEqual(
      diags.warnings.map((d) => d.code),
      ['W'],
    );
    assert.equal(diags.items.length, 3);
  });
});

describe('formatLocation', () => {
  it('prints as much of file:line:col as is known', () => {
    assert.equal(formatLocation({}), '');
    assert.equal(formatLocation({ file: 'a.yaml' }), 'a.yaml');
    assert.equal(formatLocation({ file: 'a.yaml', line: 3 }), 'a.yaml:3');
    assert.equal(formatLocation({ file: 'a.yaml', line: 3, column: 7 }), 'a.yaml:3:7');
  });
});

describe('sortDiagnostics', () => {
  it('orders by file, then line, then column, without changing the input', () => {
    const input: Diagnostic[] = [
      { severity: 'error', code: 'c', summary: '', file: 'b.yaml', line: 1, column: 1 },
      { severity: 'error', code: 'b', summary: '', file: 'a.yaml', line: 9, column: 1 },
      { severity: 'error', code: 'a', summary: '', file: 'a.yaml', line: 2, column: 5 },
      { severity: 'error', code: 'a0', summary: '', file: 'a.yaml', line: 2, column: 1 },
    ];
    assert.deepEqual(
      sortDiagnostics(input).map((d) => d.code),
      ['a0', 'a', 'b', 'c'],
    );
    assert.equal(input[0].code, 'c');
  });
});

describe('formatDiagnostic', () => {
  it('renders location, id, field, summary, expected/found, detail and hint', () => {
    const text = formatDiagnostic({
      severity: 'error',
      code: 'SETPOINT_MANIFEST_INVALID',
      summary: 'wrong type',
      file: 'web.yaml',
      line: 6,
      column: 9,
      resourceId: 'File/default/motd',
      field: 'spec.mode',
      expected: 'string',
      found: '644 (number)',
      detail: 'first line\nsecond line',
      hint: 'quote the mode',
    });
    assert.equal(
      text,
      [
        'error: web.yaml:6:9: File/default/motd: spec.mode: wrong type',
        '  expected string, found 644 (number)',
        '  first line',
        '  second line',
        '  hint: quote the mode',
      ].join('\n'),
    );
  });

  it('renders a bare problem on one line', () => {
    assert.equal(
      formatDiagnostic({ severity: 'warning', code: 'W', summary: 'nothing to do' }),
      'warning: nothing to do',
    );
  });
});

describe('describeValue', () => {
  it('describes values briefly, never dumping long strings', () => {
    assert.equal(describeValue(undefined), 'nothing');
    assert.equal(describeValue(null), 'null');
    assert.equal(describeValue([1, 2, 3]), 'a list of 3');
    assert.equal(describeValue('short'), '"short"');
    assert.equal(describeValue('x'.repeat(41)), 'a string of 41 characters');
    assert.equal(describeValue(644), '644 (number)');
    assert.equal(describeValue(true), 'true (boolean)');
    assert.equal(describeValue({ a: 1 }), 'a mapping');
  });
});
