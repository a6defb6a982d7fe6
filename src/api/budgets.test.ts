/**
 * Error-budget measurements run one at a time: a slow reading of Prometheus
 * never lands after a newer one (the gate would close again on stale data).
 * A real HTTP server on loopback plays Prometheus and holds the first
 * measurement's answers until the second has been asked for.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Store } from '../store/index.js';
import { silentLogger } from '../telemetry/index.js';
import type { SloSpec } from '../telemetry/slo/index.js';
import { BudgetWatch } from './budgets.js';

test('budget measurements do not interleave: the newer reading is the one kept', async (t) => {
  let good = 900;
  let hold = true;
  const held: Array<() => void> = [];
  let asked = 0;
  const server = createServer((req, res: ServerResponse) => {
    asked++;
    const q = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
    const value = q.includes('good') ? good : 1000;
    const answer = () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, String(value)] }] },
        }),
      );
    if (hold) held.push(answer);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const spec: SloSpec = {
    name: 'checkout',
    sli: 'prometheus',
    objective: 0.99,
    windowMs: 3_600_000,
    burnRates: [],
    prometheus: { url, good: 'app_requests_good', total: 'app_requests_total' },
    gate: {},
  };
  const watch = new BudgetWatch({} as Store, [spec], silentLogger(), 60_000);

  // The first measurement asks (good and total) and waits for its answers: 10% bad, exhausted.
  const first = watch.refresh();
  while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
  // The budget recovers; a second measurement is asked for while the first is still in flight.
  good = 1000;
  hold = false;
  let secondDone = false;
  const second = watch.refresh().then(() => (secondDone = true));
  // Give the second up to 1s to run ahead (it must not): its queries would be answered at once.
  const deadline = Date.now() + 1000;
  while (!secondDone && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const askedBeforeRelease = asked;
  for (const answer of held) answer();
  await Promise.all([first, second]);

  assert.equal(askedBeforeRelease, 2, 'the second measurement waited for the first');
  assert.equal(asked, 4);
  assert.equal(watch.current().get('checkout')?.remaining, 1, 'the newer reading (recovered) is kept');
});
