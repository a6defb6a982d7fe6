/**
 * The Policy kind: a CEL rule over resources, with a match, a message and an
 * action. Policies are manifest documents like any other (same envelope,
 * ids, diagnostics), but not managed targets: no provider owns them.
 */
import * as z from 'zod';
import { KIND_PATTERN } from '../manifest/index.js';

export const POLICY_KIND = 'Policy';

/** What a violation does: deny refuses, warn prints a warning, audit only records (dry-run). */
export const POLICY_ACTIONS = ['deny', 'warn', 'audit'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

export const POLICY_DESCRIPTION =
  'A rule (CEL) over resources and their actual state: deny, warn or audit (dry-run).';

export const PolicyMatchSchema = z
  .strictObject({
    kinds: z
      .array(z.string().regex(KIND_PATTERN, 'a kind such as File (a capitalised word)'))
      .min(1)
      .optional()
      .describe('Any of these kinds. Defaults to every kind.'),
    namespaces: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Any of these namespaces. Defaults to every namespace.'),
    labels: z
      .record(z.string(), z.string())
      .optional()
      .describe('All of these labels, with these values. Defaults to none.'),
  })
  .describe('Which resources the rule applies to; every condition given must hold.');

export const PolicySpecSchema = z
  .strictObject({
    description: z.string().optional().describe('What the policy is for, shown by `setpoint policies`.'),
    match: PolicyMatchSchema.optional(),
    rule: z
      .string()
      .min(1)
      .describe(
        'A CEL expression, true = compliant. `object` is the desired resource (kind, metadata, spec, dependsOn, lifecycle); `actual`, for runtime audit under serve, the observed state.',
      ),
    message: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Shown for a violation; ${...} holds a CEL expression, e.g. ${object.metadata.name}. Defaults to "violates policy NAME".',
      ),
    action: z
      .enum(POLICY_ACTIONS)
      .default('deny')
      .describe('deny refuses, warn warns, audit only records (dry-run). Defaults to deny.'),
  })
  .describe('A policy over resources: a CEL rule, where it applies, a message and an action.');

export type PolicySpec = z.infer<typeof PolicySpecSchema>;
export type PolicyMatch = z.infer<typeof PolicyMatchSchema>;
