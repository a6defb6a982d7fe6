/**
 * The Redactor: every registered secret value is scrubbed from text and
 * from JSON-like values, longest value first, lines of multi-line secrets
 * too; values too short to scrub safely are ignored.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, Redactor } from './redact.js';

describe('Redactor.redact', () => {
  it('leaves text alone while nothing is registered', () => {
    const r = new Redactor();
    assert.equal(r.redact('password hunter2'), 'password hunter2');
    assert.equal(r.size, 0);
  });

  it('replaces every occurrence of a secret', () => {
    const r = new Redactor();
    r.add('hunter22');
    assert.equal(r.redact('pw=hunter22; again hunter22.'), `pw=${REDACTED}; again ${REDACTED}.`);
    assert.equal(REDACTED, '(sensitive)');
  });

  it('replaces the longest value first, so a secret containing another is replaced whole', () => {
    const r = new Redactor();
    r.add('abcd');
    r.add('abcdefgh');
    assert.equal(r.redact('x abcdefgh y abcd z'), `x ${REDACTED} y ${REDACTED} z`);
    // Registered in the other order, the same result.
    const r2 = new Redactor();
    r2.add('abcdefgh');
    r2.add('abcd');
    assert.equal(r2.redact('x abcdefgh y'), `x ${REDACTED} y`);
  });

  it('replaces a multi-line secret whole, and each of its lines where they appear alone', () => {
    const r = new Redactor();
    const key = '-----BEGIN KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF\n-----END KEY-----\n';
    r.add(key);
    assert.equal(r.redact(`key:\n${key}done`), `key:\n${REDACTED}done`);
    assert.equal(r.redact('echoed: kqhkiG9w0BAQEF only'), `echoed: ${REDACTED} only`);
    // CRLF output of the same secret.
    assert.equal(r.redact('MIIEvQIBADANBg\r\nkqhkiG9w0BAQEF\r\n'), `${REDACTED}\r\n${REDACTED}\r\n`);
  });

  it('catches a value trimmed of its trailing newline', () => {
    const r = new Redactor();
    r.add('token-1234\n');
    assert.equal(r.redact('Authorization: token-1234'), `Authorization: ${REDACTED}`);
  });

  it('ignores values shorter than 4 characters, and short lines of a longer secret', () => {
    const r = new Redactor();
    r.add('abc');
    r.add('');
    r.add('   ');
    assert.equal(r.size, 0);
    assert.equal(r.redact('abc abc'), 'abc abc');
    r.add('ok\nlonger-line');
    assert.equal(r.redact('ok fine, longer-line'), `ok fine, ${REDACTED}`);
  });

  it('catches a secret inside serialized JSON, where quotes, backslashes and tabs are escaped', () => {
    const r = new Redactor();
    const secret = 'pa"ss\\wo\trd-1';
    r.add(secret);
    const json = JSON.stringify({ message: `token ${secret} end`, list: [secret], pem: `a\n${secret}\n` });
    assert.ok(!json.includes(secret), 'the serialized form differs from the value');
    assert.equal(
      r.redact(json),
      JSON.stringify({ message: `token ${REDACTED} end`, list: [REDACTED], pem: `a\n${REDACTED}\n` }),
    );
    assert.equal(r.redact(`raw: ${secret}`), `raw: ${REDACTED}`);
  });

  it('treats regular-expression characters in a secret literally', () => {
    const r = new Redactor();
    r.add('a.b*c+(d)?[e]{2}|f^$\\g');
    assert.equal(r.redact('<a.b*c+(d)?[e]{2}|f^$\\g>'), `<${REDACTED}>`);
    assert.equal(r.redact('axbbbc'), 'axbbbc');
  });

  it('picks up values added after a first use', () => {
    const r = new Redactor();
    r.add('first-secret');
    assert.equal(r.redact('second-secret'), 'second-secret');
    r.add('second-secret');
    assert.equal(r.redact('first-secret second-secret'), `${REDACTED} ${REDACTED}`);
  });
});

describe('Redactor.redactValue', () => {
  it('walks objects and arrays, redacting strings and leaving other values and the input alone', () => {
    const r = new Redactor();
    r.add('s3cr3t-value');
    const input = {
      message: 'login with s3cr3t-value failed',
      nested: { list: ['a', 's3cr3t-value', 42, true, null, { deep: 'x s3cr3t-value' }] },
      count: 3,
      missing: undefined,
    };
    const out = r.redactValue(input);
    assert.deepEqual(out, {
      message: `login with ${REDACTED} failed`,
      nested: { list: ['a', REDACTED, 42, true, null, { deep: `x ${REDACTED}` }] },
      count: 3,
      missing: undefined,
    });
    assert.equal(input.message, 'login with s3cr3t-value failed');
    assert.equal(r.redactValue('s3cr3t-value'), REDACTED);
  });

  it('returns the same value when nothing is registered', () => {
    const value = { a: 'b' };
    assert.equal(new Redactor().redactValue(value), value);
  });

  it('passes buffers through untouched', () => {
    const r = new Redactor();
    r.add('s3cr3t-value');
    const buf = Buffer.from('s3cr3t-value');
    assert.equal(r.redactValue({ buf }).buf, buf);
  });
});
