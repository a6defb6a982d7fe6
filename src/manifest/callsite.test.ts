import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { callSitesOf, parseStack, recordCallSite, ORIGIN } from './callsite.js';

const here = fileURLToPath(import.meta.url);

/** The 1-based line of this file that carries `marker`. */
function lineWith(marker: string): number {
  return (
    readFileSync(here, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(marker)) + 1
  );
}

describe('parseStack', () => {
  it('reads named, anonymous, async and file-URL frames, dropping node internals', () => {
    const stack = [
      'Error',
      '    at build (/srv/app/manifests/web.ts:12:5)',
      '    at /srv/app/manifests/web.ts:20:3',
      '    at async main (file:///srv/app/manifests/main.mts?tsx-namespace=abc:7:9)',
      '    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)',
      '    at async Promise.all (index 0)',
      '    at data:text/javascript,abc:1:2',
      '    at site (/srv/my app/with space.ts:4:11)',
    ].join('\n');
    assert.deepEqual(parseStack(stack), [
      { file: '/srv/app/manifests/web.ts', line: 12, column: 5 },
      { file: '/srv/app/manifests/web.ts', line: 20, column: 3 },
      { file: '/srv/app/manifests/main.mts', line: 7, column: 9 },
      { file: '/srv/my app/with space.ts', line: 4, column: 11 },
    ]);
  });

  it('returns nothing for text that is not a stack', () => {
    assert.deepEqual(parseStack('just a message\nand more'), []);
  });
});

describe('recordCallSite', () => {
  function builder(): object {
    const doc = { kind: 'File' };
    recordCallSite(doc, builder);
    return doc;
  }

  it("records the builder caller's line, non-enumerably", () => {
    const doc = builder(); // <- call site
    assert.deepEqual(Object.keys(doc), ['kind']);
    assert.equal(JSON.stringify(doc), '{"kind":"File"}');
    const [site] = callSitesOf(doc);
    assert.equal(site.file, here);
    assert.equal(site.line, lineWith('// <- call site'));
    assert.equal(site.column, 17);
  });

  it('keeps the stack limit as it was', () => {
    const before = Error.stackTraceLimit;
    builder();
    assert.equal(Error.stackTraceLimit, before);
  });

  it('gives no call sites for values no builder made', () => {
    assert.deepEqual(callSitesOf({ kind: 'File' }), []);
    assert.deepEqual(callSitesOf(null), []);
    assert.deepEqual(callSitesOf({ [ORIGIN]: { stack: 42 } }), []);
  });
});
