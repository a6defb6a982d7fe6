/** Test helpers for the goal kinds: a provider context over a temp folder, recording events. */
import { join } from 'node:path';
import { createContext, type RecordingCtx } from '../../provider/context.js';
import { declaredDigest, type Resource } from '../../manifest/index.js';
import { SecretResolver } from '../../secrets/index.js';

export interface GoalCtx {
  ctx: RecordingCtx;
  events: string[];
}

/** A context for `Kind/default/name` whose manifest lives in `dir`, with work files under `dir/work`. */
export function goalCtx(
  kind: string,
  name: string,
  spec: unknown,
  dir: string,
  env: NodeJS.ProcessEnv = {},
): GoalCtx {
  const declared = {
    id: `${kind}/default/${name}`,
    metadata: { name, namespace: 'default', labels: {}, annotations: {} },
    spec,
    dependsOn: [],
    lifecycle: {},
  };
  const resource: Resource = {
    ...declared,
    key: { kind, namespace: 'default', name },
    origin: { file: join(dir, 'goals.yaml'), line: 1, column: 1, index: 0 },
    digest: declaredDigest(declared),
  };
  const events: string[] = [];
  const ctx = createContext({
    resource,
    sourceRoot: dir,
    secrets: new SecretResolver({ env }),
    workRoot: join(dir, 'work'),
    onEvent: (_id, _type, reason, message) => events.push(`${reason}: ${message}`),
  });
  return { ctx, events };
}
