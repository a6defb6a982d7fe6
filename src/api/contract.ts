/**
 * The machine contract: zod schemas of what the API returns, published in
 * /openapi.json and as the `--json` schemas. Each schema is checked at
 * compile time against the TypeScript type the API returns (`Fits` below),
 * so a field added to a record without its schema fails the type check.
 * Object schemas are open (extra fields are allowed) so an addition is not a
 * breaking change for clients; required fields and their types are checked.
 */
import * as z from 'zod';
import type { Action, Plan } from '../plan/index.js';
import type { Diagnostic } from '../manifest/index.js';
import type { Change } from '../diff/index.js';
import type {
  AlertRecord,
  ApprovalRecord,
  AuditEntry,
  AuditVerification,
  EventRecord,
  ResourceRecord,
  RevisionRecord,
  RolloutRecord,
  RunRecord,
  SilenceRecord,
  SourceState,
  StoredChange,
  ViolationRecord,
  ViolationTotal,
} from '../store/index.js';
import type { PruneResult } from './retention.js';
import type { CriticalConvergence, ResourceFate, SpanView } from './debug.js';
import type { ConvergenceFigures, Description, PolicyListing, TokenInfo } from './types.js';

/** The version of every `--json` document and of the HTTP API's shapes. */
import { API_VERSION } from './api-version.js';
export { API_VERSION };

/** True when every value of T is a value of the schema S (T's fields are all in S, with the same types). */
const fits =
  <T>() =>
  <S extends z.ZodType>(
    schema: S,
    ..._proof: [T] extends [z.output<S>]
      ? [Exclude<keyof T, keyof z.output<S>>] extends [never]
        ? []
        : ['fields missing from the schema:', Exclude<keyof T, keyof z.output<S>>]
      : ['the type does not fit the schema']
  ): S =>
    schema;

const time = () => z.string().describe('ISO 8601 time');
const str = () => z.string();
const opt = <T extends z.ZodType>(t: T) => t.optional();

export const DiagnosticSchema = fits<Diagnostic>()(
  z.object({
    severity: z.enum(['error', 'warning']),
    code: str(),
    summary: str(),
    file: opt(str()),
    line: opt(z.number()),
    column: opt(z.number()),
    resourceId: opt(str()),
    field: opt(str()),
    expected: opt(str()),
    found: opt(str()),
    hint: opt(str()),
    detail: opt(str()),
  }),
);

export const ChangeSchema = fits<Change>()(
  z.object({
    path: str().describe('Field path, e.g. spec.mode'),
    old: z.unknown().optional(),
    new: z.unknown().optional(),
    sensitive: opt(z.boolean()).describe('A secret: only the fact that it changed is shown'),
    format: opt(z.enum(['text', 'binary', 'large'])),
    forcesReplace: opt(z.boolean()),
    diff: opt(str()).describe('In --json output: a unified diff of a text change, instead of old/new'),
  }),
);

/** A change as stored (drift, approvals): values truncated, secrets never present. */
export const StoredChangeSchema = fits<StoredChange>()(
  z.object({
    path: str(),
    old: z.unknown().optional(),
    new: z.unknown().optional(),
    sensitive: opt(z.boolean()),
    format: opt(str()),
  }),
);

const OP = z.enum(['noop', 'create', 'update', 'replace', 'delete']);

/** One action of a plan: the same shape in `plan --json`, `apply --json` and POST /api/v1/plans. */
export const ActionSchema = fits<Action>()(
  z.object({
    id: str().describe('Kind/namespace/name'),
    kind: str(),
    op: OP,
    changes: z.array(ChangeSchema),
    destructive: z.boolean(),
    reason: str(),
    after: z.array(str()),
    pruned: opt(z.boolean()),
    hold: opt(
      z
        .object({
          kind: z.enum(['window', 'budget', 'rollout']),
          name: str().describe('The window, SLO or rollout step that holds it'),
          effect: z.enum(['hold', 'approve']),
          reason: str(),
          until: opt(time()).describe('When the hold ends by itself, when known'),
        })
        .describe('What would hold this action back if it were applied now'),
    ),
  }),
);

export const PlanSummarySchema = z.object({
  create: z.number(),
  update: z.number(),
  replace: z.number(),
  delete: z.number(),
  noop: z.number(),
});

export const PlanSchema = fits<Plan>()(
  z.object({
    revision: str(),
    createdAt: time(),
    summary: PlanSummarySchema,
    actions: z.array(ActionSchema),
    orphans: z.array(str()),
    diagnostics: z.array(DiagnosticSchema),
  }),
);

const ConditionSchema = z.object({
  type: str(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: str(),
  message: str(),
  since: time(),
});

export const ResourceRecordSchema = fits<ResourceRecord>()(
  z.object({
    id: str(),
    kind: str(),
    namespace: str(),
    name: str(),
    source: str(),
    labels: z.record(z.string(), z.string()),
    spec: z.unknown(),
    lifecycle: z.object({
      remediation: opt(z.enum(['auto', 'alert', 'approve'])),
      prune: opt(z.boolean()),
      preventDestroy: opt(z.boolean()),
      ignoreChanges: opt(z.array(str())),
      priority: opt(z.enum(['critical', 'high', 'normal', 'low'])),
    }),
    dependsOn: z.array(str()),
    origin: opt(str()),
    desiredDigest: str(),
    managed: z.boolean(),
    declared: z.boolean(),
    lastAppliedRevision: opt(str()),
    lastAppliedAt: opt(time()),
    sync: str(),
    health: str(),
    healthMessage: opt(str()),
    lastObservedAt: opt(time()),
    driftedSince: opt(time()),
    drift: opt(z.array(StoredChangeSchema)),
    conditions: z.array(ConditionSchema),
    attempts: z.number(),
    lastError: opt(str()),
    updatedAt: time(),
    lastAppliedDigest: opt(str()),
    remediations: opt(z.array(z.object({ at: time(), fields: z.array(str()) }))),
    blockedUntil: opt(time()),
    held: opt(
      z.object({
        reason: str(),
        message: str(),
        since: time(),
        until: opt(time()),
        window: opt(str()),
        slo: opt(str()),
      }),
    ),
    approvalId: opt(str()),
  }),
);

export const EventSchema = fits<EventRecord>()(
  z.object({
    seq: opt(z.number()),
    time: time(),
    type: z.enum(['Normal', 'Warning']),
    reason: str(),
    message: str(),
    resourceId: opt(str()),
    revisionId: opt(str()),
    runId: opt(str()),
  }),
);

export const AuditEntrySchema = fits<AuditEntry>()(
  z.object({
    seq: z.number(),
    time: time(),
    actor: str(),
    action: str(),
    resourceId: opt(str()),
    revisionId: opt(str()),
    diffDigest: opt(str()),
    result: str(),
    detail: opt(z.record(z.string(), z.unknown())),
    prevHash: str(),
    hash: str(),
  }),
);

export const AuditVerificationSchema = fits<AuditVerification & { entry?: AuditEntry }>()(
  z.object({
    ok: z.boolean(),
    entries: z.number(),
    firstBad: opt(z.object({ seq: z.number(), problem: str() })),
    head: opt(str()),
    truncated: opt(z.object({ endsAt: z.number(), anchorSeq: z.number(), anchor: str() })),
    entry: opt(AuditEntrySchema),
  }),
);

export const RevisionSchema = fits<RevisionRecord>()(
  z.object({
    id: str(),
    digest: str(),
    source: str(),
    createdAt: time(),
    resourceCount: z.number(),
    origin: str(),
    author: opt(str()),
    message: opt(str()),
    commit: opt(str()),
    committedAt: opt(time()),
    admitted: z.boolean(),
    diagnostics: opt(z.array(DiagnosticSchema)),
    convergedAt: opt(time()),
    signature: opt(str()),
  }),
);

export const RunSchema = fits<RunRecord>()(
  z.object({
    id: str(),
    command: str(),
    revisionId: opt(str()),
    actor: str(),
    startedAt: time(),
    finishedAt: opt(time()),
    result: z.enum(['succeeded', 'failed', 'partial', 'running', 'interrupted']),
    summary: z.record(z.string(), z.number()),
    holder: opt(str()),
  }),
);

export const ApprovalSchema = fits<ApprovalRecord>()(
  z.object({
    id: str(),
    resourceId: str(),
    revisionId: opt(str()),
    op: str(),
    reason: str(),
    destructive: z.boolean(),
    changes: z.array(StoredChangeSchema),
    desiredDigest: str(),
    changeDigest: str(),
    state: z.enum(['pending', 'approved', 'rejected', 'stale', 'applied']),
    createdAt: time(),
    decidedAt: opt(time()),
    decidedBy: opt(str()),
    note: opt(str()),
    fleet: opt(
      z
        .object({
          targets: z.array(
            z.object({
              node: str(),
              localId: str().describe("The approval's id in the node's local state"),
              desiredDigest: str(),
              state: z.enum(['pending', 'approved', 'rejected', 'stale', 'applied']),
              reportedAt: time(),
              decidedAt: opt(time()),
              decidedBy: opt(str()),
              note: opt(str()),
            }),
          ),
        })
        .describe('A fleet approval: one action proposed by the agents of these nodes, approved once'),
    ),
  }),
);

export const SourceStateSchema = fits<SourceState>()(
  z.object({
    name: str(),
    current: opt(str()),
    pinned: opt(str()),
    pinnedBy: opt(str()),
    pinnedAt: opt(time()),
    lastFetchAt: opt(time()),
    lastCommit: opt(str()),
    lastError: opt(str()),
  }),
);

export const RolloutSchema = fits<RolloutRecord>()(
  z.object({
    id: str(),
    name: str(),
    source: str(),
    from: str().describe('The revision targets ran before.'),
    to: str().describe('The revision being rolled out.'),
    phase: z.enum(['Progressing', 'Paused', 'Completed', 'RolledBack', 'Aborted', 'Superseded']),
    step: z.number().describe('0-based index of the step in progress; the step count when done.'),
    steps: z.array(str()),
    pins: z.record(z.string(), z.string()).describe('The revision each target runs, by target id.'),
    targets: z.array(str()),
    stepStartedAt: time(),
    readyAt: opt(time()),
    gateStartedAt: opt(time()),
    gate: opt(z.array(z.object({ check: str(), ok: z.boolean(), message: str(), at: time() }))),
    approvalId: opt(str()),
    reason: opt(str()),
    startedAt: time(),
    updatedAt: time(),
    finishedAt: opt(time()),
    actor: str(),
  }),
);

export const SourceStatusSchema = z.looseObject({
  ...SourceStateSchema.shape,
  kind: z.enum(['folder', 'git']),
  url: opt(str()),
  ref: opt(str()),
});

export const TokenInfoSchema = fits<TokenInfo>()(
  z.object({
    name: str(),
    role: z.enum(['viewer', 'operator', 'approver', 'admin']),
    namespaces: z.array(str()),
    createdAt: time(),
    createdBy: str(),
    revokedAt: opt(time()),
    revokedBy: opt(str()),
  }),
);

export const AlertSchema = fits<AlertRecord>()(
  z.object({
    id: str(),
    fingerprint: str(),
    rule: str(),
    severity: z.enum(['page', 'ticket']),
    state: z.enum(['firing', 'resolved']),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
    activeAt: time(),
    startsAt: time(),
    resolvedAt: opt(time()),
    lastEvaluatedAt: time(),
    suppressedBy: opt(str()),
    receiver: opt(str()),
    notifiedAt: opt(time()),
    resolvedNotifiedAt: opt(time()),
    ack: opt(z.object({ by: str(), at: time(), actionable: z.boolean(), comment: opt(str()) })),
  }),
);

export const SilenceSchema = fits<SilenceRecord>()(
  z.object({
    id: str(),
    matchers: z.array(z.object({ name: str(), op: z.enum(['=', '!=', '=~', '!~']), value: str() })),
    startsAt: time(),
    endsAt: time(),
    createdBy: str(),
    createdAt: time(),
    comment: str(),
    expiredBy: opt(str()),
  }),
);

export const ViolationSchema = fits<ViolationRecord>()(
  z.object({
    seq: opt(z.number()),
    time: time(),
    policy: str(),
    resourceId: str(),
    revisionId: opt(str()),
    action: str(),
    phase: str(),
    blocked: z.boolean(),
    message: str(),
  }),
);

export const ViolationTotalSchema = fits<ViolationTotal>()(
  z.object({ policy: str(), action: str(), count: z.number(), blocked: z.number(), last: time() }),
);

const Percentiles = z.object({
  count: z.number(),
  p50: opt(z.number()),
  p95: opt(z.number()),
  p99: opt(z.number()),
});

export const ConvergenceSchema = fits<ConvergenceFigures>()(
  z.object({
    revisions: z.array(
      z.object({
        id: str(),
        admittedAt: time(),
        convergedAt: opt(time()),
        convergenceSeconds: opt(z.number()),
      }),
    ),
    driftEpisodes: z.number(),
    detectionMs: Percentiles,
    remediationMs: Percentiles,
    autoRemediationRatio: opt(z.number()),
    driftRatio: opt(z.number()),
  }),
);

const PHASES = ['observe', 'diff', 'plan', 'act', 'verify'] as const;

/** GET /api/v1/resources/{id}/spans: one reconcile of a resource with its phases. */
export const ReconcileSpanSchema = fits<SpanView>()(
  z.object({
    id: opt(z.number()),
    resourceId: str(),
    reconcileId: str().describe('The id its log lines carry'),
    traceId: opt(str()).describe('OpenTelemetry trace id, when tracing exports spans'),
    spanId: opt(str()),
    traceUrl: opt(str()).describe('The trace in the tracing UI (settings telemetry.traceUrl)'),
    revisionId: opt(str()),
    action: opt(str()).describe('The planned action: noop, create, update, replace, delete'),
    outcome: str().describe(
      'noop, applied, reported, awaiting-approval, held, conflict, waiting, error, terminal…',
    ),
    startedAt: time(),
    durationMs: z.number(),
    phases: z.array(
      z.object({
        name: z.enum(PHASES),
        startMs: z.number().describe('From the start of the reconcile'),
        durationMs: z.number(),
        error: opt(str()),
      }),
    ),
    error: opt(str()),
  }),
);

/** GET /api/v1/resources/{id}/fate: whether it exists, and how a deleted one went. */
export const ResourceFateSchema = fits<ResourceFate>()(
  z.object({
    id: str(),
    exists: z.boolean(),
    lastSeen: opt(time()).describe('The last reconcile, event or audited action of it'),
    deletion: opt(
      z.object({
        at: time(),
        action: str().describe('serve.delete, apply.delete (target deleted) or state.rm (forgotten)'),
        actor: str(),
        revisionId: opt(str()),
        result: str(),
      }),
    ),
  }),
);

/** GET /api/v1/convergence/critical: convergence time per critical resource. */
export const CriticalConvergenceSchema = fits<CriticalConvergence>()(
  z.object({
    from: time(),
    to: time(),
    rule: str().describe('What makes a resource critical'),
    items: z.array(
      z.object({
        id: str(),
        sync: str(),
        convergenceMs: Percentiles.describe('Drift detected -> in sync again, over the window'),
        driftingSince: opt(time()),
        lastDetectedAt: opt(time()),
      }),
    ),
  }),
);

export const SloStatusSchema = z.object({
  spec: z.looseObject({ name: str(), objective: z.number(), windowMs: z.number() }),
  budget: z.looseObject({ good: z.number(), total: z.number(), remaining: z.number() }),
  burnRates: z.record(z.string(), z.number()),
  firing: z.array(z.looseObject({ longRate: z.number(), shortRate: z.number() })),
  gate: opt(z.object({ closed: z.boolean().describe('The error budget is exhausted: changes wait') })),
  error: opt(str().describe('Why the SLI could not be read now')),
});

/** GET /api/v1/slos/rules and `setpoint slo rules --json`. */
export const SloRulesSchema = z.object({
  yaml: str().describe('A Prometheus rules file'),
  warnings: z.array(str()),
});

export const ServeStatusSchema = z.object({
  revision: opt(str()),
  admittedAt: opt(time()),
  queueDepth: z.number(),
  processing: z.number(),
  watches: z.number(),
  startedAt: time(),
  degraded: z.array(z.looseObject({ reason: str(), message: str(), since: time() })),
  leadership: z
    .object({
      role: z.enum(['leader', 'follower']),
      replica: str().describe('This replica: host:pid serve <replica id>'),
      leader: opt(str()).describe('The lease holder that leads, as this replica last saw it'),
      term: opt(z.number()).describe("The leader lease's term (fencing token)"),
      leaseExpiresAt: opt(time()).describe("When the leader's lease runs out unless renewed"),
    })
    .optional()
    .describe('Leader or follower (several replicas on PostgreSQL; one process on SQLite leads alone)'),
});

export const AdmissionSchema = z.object({
  source: str(),
  revision: z.unknown().describe('The revision admitted or refused'),
  known: z.boolean().describe('Already seen: nothing new'),
  diagnostics: z.array(DiagnosticSchema),
  violations: z.array(z.unknown()).optional().describe('Policy violations found at admission'),
});

/** A list answer: `{items}` (and `next` where it pages). */
export const itemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** The error body of every failure, HTTP and `--json` alike. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('A stable code, e.g. SETPOINT_NOT_FOUND, SETPOINT_FORBIDDEN.'),
      message: z.string(),
      hint: z.string().optional().describe('What to do about it.'),
    }),
    diagnostics: z.array(DiagnosticSchema).optional(),
  })
  .describe('Every error answer.');

export const PolicyListingSchema = fits<PolicyListing>()(
  z.object({
    policies: z.array(
      z.object({
        name: str(),
        id: str(),
        action: z.enum(['deny', 'warn', 'audit']),
        description: opt(str()),
        match: z.unknown().optional(),
        rule: str(),
        runtime: z.boolean(),
        origin: str(),
        violations: z.number(),
        lastViolation: opt(time()),
      }),
    ),
    totals: z.array(ViolationTotalSchema),
    violations: z.array(ViolationSchema),
    diagnostics: z.array(DiagnosticSchema),
  }),
);

/** POST /api/v1/plans and `plan --json`: a plan plus whether it changes anything. */
export const PlanAnswerSchema = z.looseObject({
  ...PlanSchema.shape,
  changes: z.boolean().describe('Any action other than noop'),
});

export const CreatedTokenSchema = z.object({
  token: str().describe('The secret, shown this once'),
  info: TokenInfoSchema,
});

export const SilenceWithStateSchema = z.looseObject({
  ...SilenceSchema.shape,
  state: z.enum(['active', 'pending', 'expired']),
});

export const StatusCountsSchema = z.object({
  total: z.number(),
  bySync: z.record(z.string(), z.number()),
  byHealth: z.record(z.string(), z.number()),
});

export const DescriptionSchema = fits<Description>()(
  z.object({
    id: str(),
    record: opt(ResourceRecordSchema),
    desired: z.unknown().optional(),
    actual: z.unknown().optional(),
    exists: z.boolean(),
    unknown: opt(z.boolean()),
    changes: z.array(ChangeSchema),
    events: z.array(EventSchema),
    diagnostics: z.array(DiagnosticSchema),
  }),
);

/** POST /api/v1/prune and `state prune --json`: the cutoffs and the rows deleted per table. */
export const PruneResultSchema = fits<PruneResult>()(
  z.object({
    cutoffs: z.object({ events: time(), runs: time(), alerts: time(), sliMinute: z.number() }),
    deleted: z.object({
      events: z.number(),
      violations: z.number(),
      spans: z.number(),
      runs: z.number(),
      driftEpisodes: z.number(),
      alerts: z.number(),
      sliSamples: z.number(),
    }),
  }),
);

const versioned = <T extends z.ZodObject>(schema: T, description: string) =>
  z.looseObject({ apiVersion: z.literal(API_VERSION), ...schema.shape }).describe(description);

/** The `--json` documents of the CLI, by name (`setpoint output-schema NAME`). */
export const OUTPUT_DOCUMENTS: Record<string, z.ZodType> = {
  plan: versioned(
    PlanAnswerSchema.extend({ unknown: z.array(str()).describe('Resources that could not be compared') }),
    '`setpoint plan --json`',
  ),
  apply: versioned(
    z.object({
      runId: str(),
      revision: str(),
      outcomes: z.array(
        z.object({
          action: ActionSchema,
          status: str(),
          message: str(),
          durationMs: z.number(),
          error: opt(str()),
        }),
      ),
      counts: z.record(z.string(), z.number()),
      changed: z.number(),
      result: str(),
      durationMs: z.number(),
    }),
    "`setpoint apply --json`: each outcome's action has the shape of `plan --json`'s actions",
  ),
  status: versioned(
    z.object({
      resources: z.array(ResourceRecordSchema),
      counts: StatusCountsSchema,
      convergence: ConvergenceSchema,
      slos: z.array(SloStatusSchema),
    }),
    '`setpoint status --json`',
  ),
  version: versioned(
    z.object({ version: str(), commit: opt(str()), node: str(), platform: str(), arch: str() }),
    '`setpoint version --json`',
  ),
  'state-list': versioned(
    z.object({
      items: z.array(
        z.object({ id: str(), kind: str(), sync: str(), health: str(), managed: z.boolean(), source: str() }),
      ),
    }),
    '`setpoint state list --json`',
  ),
  error: versioned(ErrorSchema, 'What any command run with --json prints on stdout when it fails'),
};

/** The JSON Schema (2020-12) of a `--json` document. */
export function outputSchema(name: string): Record<string, unknown> | undefined {
  const schema = OUTPUT_DOCUMENTS[name];
  if (!schema) return undefined;
  return {
    $id: `https://setpoint.dev/schemas/v1/${name}.json`,
    ...(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>),
  };
}

// --- goals ---

const GoalResultSchema = z.looseObject({
  key: str().describe('The key result; "" for a Target\'s own measure'),
  state: z.enum(['MeetsTarget', 'BehindTarget']),
  value: z.number(),
  threshold: z.number(),
  direction: str(),
  unit: opt(str()),
  gap: z.number().describe('How far the value still has to move; 0 when met'),
  trend: z.object({
    perDay: z.number(),
    direction: z.enum(['improving', 'worsening', 'flat']),
    samples: z.number().int(),
    spanMs: z.number(),
  }),
  timeLeftMs: opt(z.number()).describe('Until the deadline, negative once past'),
  etaMs: opt(z.number()).describe('When behind and improving: the time the trend needs to close the gap'),
  readAt: time(),
});

export const GoalStatusSchema = z
  .looseObject({
    id: str(),
    kind: z.enum(['Target', 'Objective']),
    namespace: str(),
    name: str(),
    description: opt(str()),
    owner: opt(str()),
    deadline: opt(str()),
    sync: str(),
    health: str(),
    message: opt(str()),
    state: opt(z.enum(['MeetsTarget', 'BehindTarget'])).describe('Absent until read once'),
    met: z.number().int(),
    total: z.number().int(),
    timeLeftMs: opt(z.number()),
    results: z.array(GoalResultSchema),
  })
  .describe('A Target or Objective with its last value, gap, trend and time left');

// --- the fleet ---

const labelsSchema = () => z.record(z.string(), z.string());

export const NodeCountsSchema = z.object({
  total: z.number().int(),
  inSync: z.number().int(),
  drifted: z.number().int(),
  failed: z.number().int(),
});

export const NodeInfoSchema = z
  .looseObject({
    name: str(),
    labels: labelsSchema(),
    facts: z.record(z.string(), z.unknown()),
    enrolledAt: time(),
    enrolledWith: opt(str()),
    lastSeenAt: opt(time()),
    agentVersion: opt(str()),
    appliedDigest: opt(str()),
    appliedRevision: opt(str()),
    desiredDigest: opt(str()),
    counts: NodeCountsSchema,
    batches: z.number().int(),
    droppedBatches: z.number().int(),
    behind: z.boolean().describe('Its agent holds an older set than the current one'),
    offline: z.boolean().describe('No report for three check intervals'),
    revokedAt: opt(time()),
    revokedBy: opt(str()),
  })
  .describe('An enrolled node');

export const NodeResourceStatusSchema = z.looseObject({
  id: str(),
  sync: str(),
  health: str(),
  lastAppliedRevision: opt(str()),
  driftedSince: opt(str()),
  lastError: opt(str()),
});

export const NodeDetailSchema = z.looseObject({
  ...NodeInfoSchema.shape,
  resources: z.array(NodeResourceStatusSchema),
});

export const NodeSetSchema = z
  .looseObject({
    digest: str().describe('sha256 over the documents'),
    revision: str(),
    documents: z.array(z.looseObject({ kind: str(), metadata: z.looseObject({ name: str() }) })),
    notes: z.array(str()),
    signature: opt(z.looseObject({ algorithm: z.literal('ed25519'), keyId: str(), signature: str() })),
    rotate: opt(z.boolean().describe('The agent is asked to rotate its credential')),
    files: opt(
      z
        .record(str(), str())
        .describe('Files the documents name files/<sha256> (a File source or template), by sha256, base64'),
    ),
  })
  .describe("A node's compiled desired set");

export const NodeSetPollSchema = z.union([
  NodeSetSchema,
  z.object({ unchanged: z.literal(true), digest: str(), rotate: opt(z.boolean()) }),
]);

export const EnrollTokenInfoSchema = z.looseObject({
  name: str(),
  labels: labelsSchema(),
  createdAt: time(),
  createdBy: str(),
  expiresAt: time(),
  usesLeft: opt(z.number().int()),
});

export const CreatedEnrollTokenSchema = z.object({
  token: str().describe('The enrolment token, shown this once'),
  info: EnrollTokenInfoSchema,
});

export const EnrolmentSchema = z.object({
  name: str(),
  token: str().describe("The node's credential, shown this once"),
  labels: labelsSchema(),
  publicKey: opt(str().describe('PEM public key node sets are signed with')),
  checkIntervalMs: z.number().int(),
});

export const ReportAcceptedSchema = z.object({ accepted: z.boolean(), duplicate: z.boolean() });
