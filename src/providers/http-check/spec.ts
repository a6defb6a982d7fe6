/**
 * The HttpCheck kind's spec: a request (URL, method, headers whose values may
 * be secretRefs, body) and what a healthy answer is (status list or ranges,
 * a body pattern, a JSON path and its value, a latency threshold), checked
 * every `interval` under serve.
 */
import * as z from 'zod';
import { SecretRefSchema } from '../../secrets/index.js';
import { DurationSchema } from '../../util/duration.js';
import { linearRegex, REGEX_HINT, RegexSyntaxError } from '../../util/linear-regex.js';
import { parseJsonPath } from './json-path.js';

const StatusSchema = z.union([
  z.number().int().min(100).max(599),
  z.string().regex(/^[1-5]\d\d-[1-5]\d\d$/, 'a status such as 200 or a range such as "200-299"'),
]);

const ExpectSchema = z
  .strictObject({
    status: z
      .array(StatusSchema)
      .min(1)
      .default(['200-399'])
      .describe('Statuses that count as healthy: codes and inclusive ranges. Defaults to ["200-399"].'),
    body: z
      .string()
      .min(1)
      .optional()
      .superRefine((p, ctx) => {
        if (p === undefined) return;
        try {
          linearRegex(p);
        } catch (err) {
          if (!(err instanceof RegexSyntaxError)) throw err;
          ctx.addIssue({ code: 'custom', message: `${err.reason} (${REGEX_HINT})` });
        }
      })
      .describe('A pattern (RE2 syntax) the body must contain. Unset: the body is not looked at.'),
    json: z
      .strictObject({
        path: z
          .string()
          .min(1)
          .superRefine((p, ctx) => {
            const problem = parseJsonPath(p).error;
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .describe('Where in the JSON body, e.g. "$.status" or "$.checks[0].ok".'),
        equals: z.unknown().describe('The value it must have (compared as JSON).'),
      })
      .optional()
      .describe('A value the JSON body must hold. Unset: the body is not parsed.'),
    maxLatency: DurationSchema.optional().describe(
      'Slower answers are Degraded. Unset: any answer within the timeout will do.',
    ),
  })
  .describe('What a healthy answer is.');

export const HttpCheckSpecSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL')
      .describe('The URL to request. Redirects are not followed: a 3xx is the answer.'),
    method: z
      .enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
      .default('GET')
      .describe('Defaults to GET.'),
    headers: z
      .record(
        z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name'),
        z.union([z.string(), z.strictObject({ secretRef: SecretRefSchema })]),
      )
      .default({})
      .describe(
        'Request headers; values may be secretRefs (resolved at check time, never stored, logged or shown). Defaults to none.',
      ),
    body: z.string().optional().describe('The request body. Defaults to none.'),
    expect: ExpectSchema.default({ status: ['200-399'] }),
    timeout: DurationSchema.default('5s').describe(
      'How long the whole answer may take; past it the check fails. Defaults to 5s.',
    ),
    interval: DurationSchema.default('30s').describe('How often `serve` checks again. Defaults to 30s.'),
  })
  .describe('An HTTP health check (observe-only): Healthy or Degraded with the status, latency and match.');

export type HttpCheckSpec = z.infer<typeof HttpCheckSpecSchema>;
export type HttpExpect = z.infer<typeof ExpectSchema>;
