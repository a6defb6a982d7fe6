import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SetpointError } from './errors.js';
import { ProviderError } from './provider/errors.js';
import { PluginError } from './provider/plugins.js';
import { GitError } from './source/git.js';
import { SignatureError } from './source/signing.js';
import { SourceError } from './source/sources.js';
import { PolicyFixtureError } from './policy/errors.js';
import { LockError } from './store/lock.js';
import { TerminalError } from './engine/controller/reconciler.js';
import { SecretError } from './secrets/resolve.js';
import { TypeScriptManifestError } from './manifest/typescript.js';
import { ExportShapeError } from './manifest/typescript-exports.js';
import { HttpError, errorResponse } from './server/errors.js';

describe('one error base', () => {
  const cause = new Error('EACCES: permission denied');
  const cases: Array<[SetpointError, string, string]> = [
    [
      new ProviderError('x', { code: 'SETPOINT_APPLY_FAILED', hint: 'h', cause }),
      'ProviderError',
      'SETPOINT_APPLY_FAILED',
    ],
    [new ProviderError('x'), 'ProviderError', 'SETPOINT_PROVIDER_FAILED'],
    [new PluginError('x', 'h', cause), 'PluginError', 'SETPOINT_PLUGIN_INVALID'],
    [new GitError('x', 'h', cause), 'GitError', 'SETPOINT_GIT_FAILED'],
    [new SignatureError('x', 'h'), 'SignatureError', 'SETPOINT_SIGNATURE_INVALID'],
    [new SourceError('x', 'SETPOINT_SOURCE_UNREADABLE', 'h'), 'SourceError', 'SETPOINT_SOURCE_UNREADABLE'],
    [
      new PolicyFixtureError('x', 'f.test.yaml', 'h', { cause }),
      'PolicyFixtureError',
      'SETPOINT_POLICY_FIXTURE_INVALID',
    ],
    [new LockError('x', 'h'), 'LockError', 'SETPOINT_STATE_LOCKED'],
    [new TerminalError('x'), 'TerminalError', 'SETPOINT_TERMINAL'],
    [new SecretError('x', 'h', cause), 'SecretError', 'SETPOINT_SECRET_UNRESOLVED'],
    [
      new TypeScriptManifestError('SETPOINT_MANIFEST_SYNTAX', 'a.ts', 'x', 'h'),
      'TypeScriptManifestError',
      'SETPOINT_MANIFEST_SYNTAX',
    ],
    [new ExportShapeError('x', 'h'), 'ExportShapeError', 'SETPOINT_MANIFEST_INVALID'],
    [new HttpError(404, 'SETPOINT_NOT_FOUND', 'x', 'h'), 'HttpError', 'SETPOINT_NOT_FOUND'],
  ];
  for (const [err, name, code] of cases)
    it(`${name} is a SetpointError with code ${code}`, () => {
      assert.ok(err instanceof SetpointError);
      assert.equal(err.name, name);
      assert.equal(err.code, code);
      assert.ok(Array.isArray(err.diagnostics));
    });

  it('keeps the cause it wraps', () => {
    for (const err of [cases[0][0], cases[2][0], cases[3][0], cases[6][0], cases[9][0]])
      assert.equal(err.cause, cause);
  });

  it('the server maps each by its code: HttpError by its status, a provider failure 500, a request problem 400', () => {
    assert.equal(errorResponse(new HttpError(404, 'SETPOINT_NOT_FOUND', 'x')).status, 404);
    assert.equal(errorResponse(new ProviderError('x')).status, 500);
    assert.equal(errorResponse(new LockError('x', 'h')).status, 409);
    assert.equal(errorResponse(new SetpointError('x', 'SETPOINT_INVALID_ARGUMENT')).status, 400);
    const unknown = errorResponse(new Error('boom'));
    assert.equal(unknown.status, 500);
    assert.equal(unknown.body.error.code, 'SETPOINT_INTERNAL');
  });
});
