/** When spans are exported, and where to: settings first, then the standard OTEL_* variables; off otherwise. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tracingEnabled } from './trace.js';
import { startTracing, tracesUrl, tracingConfigured } from './tracing.js';

describe('tracing configuration', () => {
  it('is off without an endpoint in the settings or the environment', async () => {
    assert.equal(tracingConfigured(undefined, {}), false);
    assert.equal(tracingConfigured({}, {}), false);
    assert.equal(await startTracing(undefined, {}), undefined);
    assert.equal(tracingEnabled(), false, 'spans are not even created');
  });

  it('is on with telemetry.otlp.endpoint or OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, unless OTEL_SDK_DISABLED', () => {
    assert.equal(tracingConfigured({ endpoint: 'http://127.0.0.1:4318' }, {}), true);
    assert.equal(
      tracingConfigured(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
      true,
    );
    assert.equal(
      tracingConfigured(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }),
      true,
    );
    assert.equal(
      tracingConfigured({ endpoint: 'http://127.0.0.1:4318' }, { OTEL_SDK_DISABLED: 'true' }),
      false,
    );
  });

  it('appends /v1/traces to a base URL, and keeps a full traces URL', () => {
    assert.equal(tracesUrl('http://127.0.0.1:4318'), 'http://127.0.0.1:4318/v1/traces');
    assert.equal(tracesUrl('http://127.0.0.1:4318/'), 'http://127.0.0.1:4318/v1/traces');
    assert.equal(tracesUrl('https://otel.example.org/v1/traces'), 'https://otel.example.org/v1/traces');
  });
});
