/**
 * The user docs hold together: every relative link in README.md and docs/
 * (and deploy/, which ships with the package) points at a file that exists
 * and, with a #fragment, at a heading of that file (GitHub's anchors); the
 * README stays short; and no internal ids (milestone numbers, issue numbers,
 * test file names) leak into what users read.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers.js';

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

const FILES = [
  join(ROOT, 'README.md'),
  ...markdownFiles(join(ROOT, 'docs')),
  ...markdownFiles(join(ROOT, 'deploy')),
];

/** The text outside fenced code blocks and inline code, where links live. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1\s*$/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = readFileSync(file, 'utf8').replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1\s*$/gm, '');
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/<[^>]+>/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

function links(file: string): Array<{ target: string; line: number }> {
  const text = prose(readFileSync(file, 'utf8'));
  const out: Array<{ target: string; line: number }> = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)|^\[[^\]]+\]:\s*(\S+)/gm)) {
    const target = m[1] ?? m[2];
    out.push({ target, line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

describe('documentation', () => {
  it('every relative link resolves to a file, and every #fragment to a heading', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of FILES)
      for (const { target, line } of links(file)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        checked++;
        const [path, fragment] = target.split('#', 2);
        const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        const where = `${relative(ROOT, file)}:${line}: ${target}`;
        if (!existsSync(dest)) problems.push(`${where}: no such file`);
        else if (fragment !== undefined && dest.endsWith('.md') && !anchors(dest).has(fragment))
          problems.push(`${where}: no heading #${fragment} in ${relative(ROOT, dest)}`);
      }
    assert.deepEqual(problems, []);
    assert.ok(checked > 100, `${checked} links checked`);
  });

  it('the link checker finds a broken file link and a broken anchor', () => {
    const broken = prose(
      'see [x](nope.md) and [y](guarantees.md#no-such-heading)\n```\n[z](skipped.md)\n```\n',
    );
    assert.deepEqual(
      [...broken.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]),
      ['nope.md', 'guarantees.md#no-such-heading'],
    );
    assert.ok(anchors(join(ROOT, 'docs', 'guarantees.md')).has('hostile-http-requests-serve---listen'));
    assert.ok(!anchors(join(ROOT, 'docs', 'guarantees.md')).has('no-such-heading'));
  });

  it('the README fits on a page: at most 10,000 characters, its first two commands install-and-run and test', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.ok([...readme].length <= 10_000, `README.md has ${[...readme].length} characters`);
    const commands = [...readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)][0][1]
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    assert.match(
      commands[0],
      /^npm install && .*node bin\/setpoint\.js apply -C examples\/quickstart --yes$/,
    );
    assert.equal(commands[1], 'npm test');
  });

  it('no internal ids in user docs: milestone numbers, issue numbers, test file names', () => {
    const problems: string[] = [];
    for (const file of FILES) {
      const text = readFileSync(file, 'utf8');
      for (const [pattern, what] of [
        [/\bM(?:10|[1-9])\b(?!-)/g, 'a milestone id'],
        [/\bissues? #?\d+\b/gi, 'an issue number'],
        [/\b[\w-]+\.test\.ts\b/g, 'a test file name'],
      ] as const)
        for (const m of text.matchAll(pattern))
          problems.push(
            `${relative(ROOT, file)}:${text.slice(0, m.index).split('\n').length}: ${what}: ${m[0]}`,
          );
    }
    assert.deepEqual(problems, []);
  });
});
