/** Health as providers report it: a ranked union with a sentence (gitops-engine health). */

export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Missing' | 'Unknown';

/** Health ranks worst first, so aggregation takes the minimum rank. */
export const HEALTH_RANK: Record<HealthStatus, number> = {
  Degraded: 0,
  Missing: 1,
  Progressing: 2,
  Unknown: 3,
  Healthy: 4,
};

export interface Health {
  status: HealthStatus;
  /** A sentence, with counts where they help ("2 of 3 replicas ready"). */
  message?: string;
}
