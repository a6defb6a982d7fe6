import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pushSummary, signBody, verifyWebhook } from './webhook.js';

const body = new TextEncoder().encode('{"ref":"refs/heads/main","after":"abc"}');
const headers = (h: Record<string, string>) => (name: string) => h[name.toLowerCase()];

describe('webhook signatures', () => {
  it('GitHub: HMAC-SHA256 of the exact body in X-Hub-Signature-256', () => {
    assert.deepEqual(
      verifyWebhook(headers({ 'x-hub-signature-256': signBody(body, 's3cret') }), body, 's3cret'),
      { ok: true, provider: 'github' },
    );
    assert.deepEqual(
      verifyWebhook(
        headers({
          'x-hub-signature-256': signBody(body, 's3cret').toUpperCase().replace('SHA256', 'sha256'),
        }),
        body,
        's3cret',
      ),
      { ok: true, provider: 'github' },
    );
    const wrongKey = verifyWebhook(
      headers({ 'x-hub-signature-256': signBody(body, 'other') }),
      body,
      's3cret',
    );
    assert.equal(wrongKey.ok, false);
    const otherBody = verifyWebhook(
      headers({ 'x-hub-signature-256': signBody(body, 's3cret') }),
      new TextEncoder().encode('{}'),
      's3cret',
    );
    assert.equal(otherBody.ok, false);
    assert.equal(verifyWebhook(headers({ 'x-hub-signature-256': 'sha256=' }), body, 's3cret').ok, false);
    assert.equal(verifyWebhook(headers({ 'x-hub-signature-256': 'garbage' }), body, 's3cret').ok, false);
  });

  it('GitLab: the secret itself in X-Gitlab-Token; generic: X-Setpoint-Signature', () => {
    assert.deepEqual(verifyWebhook(headers({ 'x-gitlab-token': 's3cret' }), body, 's3cret'), {
      ok: true,
      provider: 'gitlab',
    });
    assert.equal(verifyWebhook(headers({ 'x-gitlab-token': 's3cre' }), body, 's3cret').ok, false);
    assert.equal(verifyWebhook(headers({ 'x-gitlab-token': '' }), body, 's3cret').ok, false);
    assert.deepEqual(
      verifyWebhook(headers({ 'x-setpoint-signature': signBody(body, 's3cret') }), body, 's3cret'),
      { ok: true, provider: 'generic' },
    );
  });

  it('an unsigned request is refused with the reason', () => {
    const v = verifyWebhook(headers({}), body, 's3cret');
    assert.equal(v.ok, false);
    assert.match(!v.ok ? v.reason : '', /not signed/);
  });

  it('a push payload names ref, commit and repository (GitHub and GitLab fields)', () => {
    assert.deepEqual(
      pushSummary({ ref: 'refs/heads/main', after: 'abc', repository: { full_name: 'org/app' } }),
      { ref: 'refs/heads/main', commit: 'abc', repository: 'org/app' },
    );
    assert.deepEqual(
      pushSummary({
        ref: 'refs/heads/main',
        checkout_sha: 'def',
        repository: { path_with_namespace: 'grp/app' },
      }),
      { ref: 'refs/heads/main', commit: 'def', repository: 'grp/app' },
    );
    assert.deepEqual(pushSummary('not an object'), {});
  });
});
