/**
 * What really runs for a resource: the replica records, checked against the
 * marked processes in /proc. A record whose start was interrupted (an intent
 * with a token, no pid: setpoint died between recording the intent and the
 * pid) adopts the process carrying its token, when there is one. A marked
 * process whose token no record knows is a stray: status counts it, apply
 * stops it. Pure apart from the /proc scan; nothing is written here.
 */
import { findMarked, resourceMark, type MarkedProcess } from './marks.js';
import { readReplicas, type ReplicaRecord } from './state.js';

export interface Census {
  /** Records by index, interrupted starts resolved in memory (apply writes the `adopted` ones). */
  records: Map<number, ReplicaRecord>;
  /** Indexes whose interrupted start found its process. */
  adopted: number[];
  /** Marked processes of this resource that no record knows. */
  strays: MarkedProcess[];
}

export function takeCensus(stateDir: string): Census {
  const records = readReplicas(stateDir);
  const marked = findMarked(resourceMark(stateDir));
  return reconcileMarks(records, marked);
}

export function reconcileMarks(records: Map<number, ReplicaRecord>, marked: MarkedProcess[]): Census {
  const known = new Set<string>();
  for (const rec of records.values()) {
    if (rec.token) known.add(rec.token);
    if (rec.intent) known.add(rec.intent.token);
  }
  const adopted: number[] = [];
  const out = new Map(records);
  for (const [index, rec] of records) {
    if (!rec.intent) continue;
    // The spawned process started first; later ones with the token are its children that left its group.
    const found = marked
      .filter((m) => m.token === rec.intent!.token)
      .sort((a, b) => a.identity.startTime - b.identity.startTime)[0];
    if (!found) continue;
    const { intent, ...rest } = rec;
    out.set(index, { ...rest, process: found.identity, token: intent.token });
    adopted.push(index);
  }
  return { records: out, adopted, strays: marked.filter((m) => !known.has(m.token)) };
}
