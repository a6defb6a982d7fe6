/**
 * Alert identity and label matching. An alert is its labels: the same rule
 * with the same labels is the same alert (Alertmanager's fingerprint), so
 * repeated evaluations never duplicate it. Matchers select alerts for
 * silences (`owner=team-web`, `resource=~File/web/.*`).
 */
import { createHash } from 'node:crypto';
import type { Matcher, MatchOp } from '../../store/alerts.js';
import { linearRegex, RegexSyntaxError } from '../../util/linear-regex.js';

export type Labels = Record<string, string>;

/** A stable hash of the labels (order does not matter): 16 hex characters. */
export function fingerprint(labels: Labels): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** Parses `name=value`, `name!=value`, `name=~regex` or `name!~regex`; the value may be quoted. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m)
    throw new Error(
      `not a matcher: ${JSON.stringify(text)} (expected e.g. owner=team-web, alertname!=ApprovalPending, resource=~"File/web/.*")`,
    );
  let value = m[3];
  if (
    value.length >= 2 &&
    ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
  )
    value = value.slice(1, -1);
  const op = m[2] as MatchOp;
  if (op === '=~' || op === '!~') {
    try {
      // RE2 (linear time): a silence's pattern must not be able to hang serve.
      linearRegex(`^(?:${value})$`);
    } catch (err) {
      throw new Error(`not a regular expression in ${JSON.stringify(text)}: ${(err as Error).message}`);
    }
  }
  return { name: m[1], op, value };
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.op}${/[\s"]/.test(m.value) ? JSON.stringify(m.value) : m.value}`;
}

/** Whether one matcher holds; a missing label is the empty string (as in Alertmanager). */
export function matches(m: Matcher, labels: Labels): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return anchoredTest(m.value, v) ?? false;
    case '!~':
      return !(anchoredTest(m.value, v) ?? true);
  }
}

/**
 * RE2 (linear time), so a pattern cannot hang alert evaluation. A stored
 * pattern RE2 refuses (saved before patterns were checked with it) holds for
 * nothing: the silence then silences nothing, which errs towards alerting.
 */
function anchoredTest(pattern: string, value: string): boolean | undefined {
  try {
    return linearRegex(`^(?:${pattern})$`).test(value);
  } catch (err) {
    if (err instanceof RegexSyntaxError) return undefined;
    throw err;
  }
}

/** Whether every matcher holds. */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => matches(m, labels));
}
