/**
 * Saved plans (`plan -out FILE`, `apply FILE`), as Terraform has them: the
 * file records what the plan was made from — the desired revision (content
 * addressed), a fingerprint of the stored state, and a digest of its actions
 * — and `apply FILE` recomputes the plan from the same request and refuses
 * when any of the three moved, so what is applied is what was reviewed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { API_VERSION } from '../api/api-version.js';
import type { Planned } from '../api/index.js';
import { SetpointError } from '../errors.js';
import { atomicWriteFile } from '../providers/fs/atomic.js';
import { planJson } from './render-plan.js';

export const SAVED_PLAN_KIND = 'SavedPlan';

/** What was asked for: `apply FILE` plans again with exactly this. */
export interface PlanRequestJson {
  paths: string[];
  targets: string[];
  prune: boolean;
}

export interface SavedPlan {
  apiVersion: string;
  kind: typeof SAVED_PLAN_KIND;
  createdAt: string;
  request: PlanRequestJson;
  /** The desired revision the plan was made from. */
  revision: string;
  /** sha256 over the stored records the plan compared against (id, signature, managed, declared). */
  state: string;
  /** sha256 over the actions as data. */
  actionsDigest: string;
  /** The plan, as `plan --json` prints it, for reading. */
  plan: unknown;
}

/** A fingerprint of what the store knew when the plan was made: any recorded change moves it. */
export function stateFingerprint(planned: Planned): string {
  const h = createHash('sha256');
  for (const s of [...planned.stored.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
    h.update(`${s.id}\x1f${s.signature}\x1f${s.managed ? 1 : 0}\x1f${s.declared ? 1 : 0}\x1e`);
  return h.digest('hex');
}

async function actionsDigest(planned: Planned): Promise<{ digest: string; plan: unknown }> {
  const plan = (await planJson(planned.plan)) as { actions: unknown[] };
  const digest = createHash('sha256').update(JSON.stringify(plan.actions)).digest('hex');
  return { digest, plan };
}

/** Writes the plan to `file` atomically. */
export async function savePlan(file: string, planned: Planned, request: PlanRequestJson): Promise<void> {
  const { digest, plan } = await actionsDigest(planned);
  const saved: SavedPlan = {
    apiVersion: API_VERSION,
    kind: SAVED_PLAN_KIND,
    createdAt: planned.plan.createdAt,
    request,
    revision: planned.plan.revision,
    state: stateFingerprint(planned),
    actionsDigest: digest,
    plan,
  };
  await atomicWriteFile(resolve(file), Buffer.from(JSON.stringify(saved, null, 2) + '\n'), { mode: 0o600 });
}

const stale = (file: string, what: string) =>
  new SetpointError(
    `saved plan ${file} is stale: ${what} since it was saved; nothing was applied`,
    'SETPOINT_PLAN_STALE',
    `review a fresh plan: setpoint plan -out ${file}, then setpoint apply ${file}`,
  );

/** Reads a saved plan, refusing a file that is not one. */
export function readSavedPlan(file: string): SavedPlan {
  let data: Partial<SavedPlan>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedPlan>;
  } catch (err) {
    throw new SetpointError(
      `cannot read saved plan ${file}: ${(err as Error).message}`,
      'SETPOINT_PLAN_INVALID',
      {
        hint: 'write one with `setpoint plan -out FILE`',
        cause: err,
      },
    );
  }
  if (data.kind !== SAVED_PLAN_KIND || data.apiVersion !== API_VERSION || !data.request || !data.state)
    throw new SetpointError(
      `${file} is not a saved plan of this version (kind ${String(data.kind)}, apiVersion ${String(data.apiVersion)})`,
      'SETPOINT_PLAN_INVALID',
      'write one with `setpoint plan -out FILE`',
    );
  return data as SavedPlan;
}

/** Throws SETPOINT_PLAN_STALE when the fresh plan was not made from what the saved one was. */
export async function checkSavedPlan(file: string, saved: SavedPlan, fresh: Planned): Promise<void> {
  if (fresh.plan.revision !== saved.revision)
    throw stale(
      file,
      `the desired state moved (revision ${saved.revision.slice(0, 12)} -> ${fresh.plan.revision.slice(0, 12)})`,
    );
  if (stateFingerprint(fresh) !== saved.state)
    throw stale(file, 'the recorded state moved (another run or serve wrote it)');
  if ((await actionsDigest(fresh)).digest !== saved.actionsDigest)
    throw stale(file, 'the actual state moved (the plan would now differ)');
}
