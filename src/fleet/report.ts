/** What an agent uploads: one batch of its node's status, events, drift episodes and audit entries. */
import type {
  AuditInput,
  DriftEpisode,
  EventRecord,
  NodeCounts,
  NodeResourceStatus,
  SetTaken,
} from '../store/index.js';

export interface ReportBatch {
  /** Names the batch's content (its cursor ranges): a retry, even after a restart, has the same id. */
  id: string;
  createdAt: string;
  agentVersion: string;
  /** The set the agent enforces, and its revision. */
  digest?: string;
  revision?: string;
  /** The set the agent holds and when it took it: results observed before say nothing of that set. */
  taken?: SetTaken;
  /** Every resource's status now; absent when unchanged since the last batch. */
  status?: NodeResourceStatus[];
  events: EventRecord[];
  episodes: DriftEpisode[];
  audit: AuditInput[];
  /** Batches dropped before this one (the buffer was full while the server was away). */
  dropped: number;
}

/** In sync / drifted / failed counts of a node's resources. */
export function countStatus(status: readonly NodeResourceStatus[]): NodeCounts {
  const counts = { total: status.length, inSync: 0, drifted: 0, failed: 0 };
  for (const s of status) {
    if (s.sync === 'InSync') counts.inSync++;
    else if (s.sync === 'Failed' || s.sync === 'Conflict') counts.failed++;
    else if (s.sync === 'Drifted') counts.drifted++;
  }
  return counts;
}
