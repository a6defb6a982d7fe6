/**
 * A goal's samples, kept in the kind's work folder (one JSON file per
 * resource, replaced atomically): the trend over the review period is
 * computed from them, and the state of the last reading tells whether the
 * goal just changed state. Readings closer together than 1/500 of the review
 * period replace the previous one, so a file holds about 500 samples
 * whatever the interval.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFileSync } from '../fs/index.js';
import type { GoalState, Sample } from './evaluate.js';

export interface History {
  /** Oldest first; per key result for an Objective (key "" for a Target). */
  samples: Record<string, Sample[]>;
  /** The state of the last reading. */
  state?: GoalState;
}

function fileOf(workDir: string, id: string): string {
  return join(workDir, `${createHash('sha256').update(id).digest('hex').slice(0, 24)}.json`);
}

export function readHistory(workDir: string, id: string): History {
  try {
    const h = JSON.parse(readFileSync(fileOf(workDir, id), 'utf8')) as History;
    return { samples: h.samples ?? {}, state: h.state };
  } catch {
    // Absent or unreadable: the trend starts again (a lost history is no error).
    return { samples: {} };
  }
}

/** Adds the readings taken `now`, drops samples older than the review period, and writes the file. */
export function recordReadings(
  workDir: string,
  id: string,
  history: History,
  readings: Record<string, number>,
  state: GoalState,
  now: number,
  reviewMs: number,
): History {
  const minGap = reviewMs / 500;
  const samples: Record<string, Sample[]> = {};
  for (const [key, value] of Object.entries(readings)) {
    const kept = (history.samples[key] ?? []).filter((s) => s.at >= now - reviewMs && s.at < now);
    const last = kept[kept.length - 1];
    if (last && now - last.at < minGap && kept.length > 1) kept.pop();
    samples[key] = [...kept, { at: now, value }];
  }
  const next = { samples, state };
  mkdirSync(workDir, { recursive: true });
  atomicWriteFileSync(fileOf(workDir, id), JSON.stringify(next), 0o600);
  return next;
}
