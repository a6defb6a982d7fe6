/** The built-in alert rules, one per file, by name. */
import type { RuleName } from '../schema.js';
import type { Rule } from '../types.js';
import { approvalPending } from './approval-pending.js';
import { convergenceSlow } from './convergence-slow.js';
import { driftDetected } from './drift-detected.js';
import { nodeBehind, nodeOffline } from './fleet-nodes.js';
import { policyViolation } from './policy-violation.js';
import { reconcileFailing } from './reconcile-failing.js';
import { resourceConflict } from './resource-conflict.js';
import { sloBurnRate } from './slo-burn.js';
import { sourceStale } from './source-stale.js';
import { targetBehind } from './target-behind.js';

export const BUILTIN_RULES: Readonly<Record<RuleName, Rule>> = {
  ReconcileFailing: reconcileFailing,
  ConvergenceSlow: convergenceSlow,
  DriftDetected: driftDetected,
  PolicyViolation: policyViolation,
  ResourceConflict: resourceConflict,
  ApprovalPending: approvalPending,
  SLOBurnRate: sloBurnRate,
  SourceStale: sourceStale,
  TargetBehind: targetBehind,
  NodeOffline: nodeOffline,
  NodeBehind: nodeBehind,
};
