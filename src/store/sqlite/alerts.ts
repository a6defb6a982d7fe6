/**
 * SQLite side of the alerting state (tables of migration 5). An
 * acknowledgement lives in its own column, written only by `ackAlert`, so
 * serve rewriting an incident never loses an ack made meanwhile by the CLI.
 */
import type Database from 'better-sqlite3';
import { cached } from './statements.js';
import type { AlertAck, AlertFilter, AlertRecord, AlertStore, SilenceRecord, SliSample } from '../alerts.js';
import { alertFromRow, type AlertRow } from '../rows.js';

export class SqliteAlertStore implements AlertStore {
  constructor(private readonly db: Database.Database) {}

  async putAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    if (alerts.length === 0) return;
    const stmt = cached(
      this.db,
      `INSERT INTO alerts (id, fingerprint, state, severity, started_at, resolved_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, resolved_at = excluded.resolved_at, data = excluded.data`,
    );
    this.db.transaction(() => {
      for (const a of alerts) {
        const { ack: _ack, ...rest } = a;
        stmt.run(
          a.id,
          a.fingerprint,
          a.state,
          a.severity,
          a.startsAt,
          a.resolvedAt ?? null,
          JSON.stringify(rest),
        );
      }
    })();
  }

  async listAlerts(filter: AlertFilter = {}): Promise<AlertRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
      args.push(...filter.states);
    }
    if (filter.since) {
      where.push('started_at >= ?');
      args.push(filter.since);
    }
    if (filter.ackedSince) {
      where.push("ack IS NOT NULL AND json_extract(ack, '$.at') >= ?");
      args.push(filter.ackedSince);
    }
    const rows = cached(
      this.db,
      `SELECT data, ack FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at DESC, rowid DESC LIMIT ?`,
    ).all(...args, filter.limit ?? 1000) as AlertRow[];
    return rows.map(alertFromRow);
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    const exact = cached(this.db, 'SELECT data, ack FROM alerts WHERE id = ?').get(id) as
      AlertRow | undefined;
    if (exact) return alertFromRow(exact);
    const rows = cached(this.db, 'SELECT data, ack FROM alerts WHERE id LIKE ? LIMIT 2').all(
      `${id}%`,
    ) as AlertRow[];
    return rows.length === 1 ? alertFromRow(rows[0]) : undefined;
  }

  async ackAlert(id: string, ack: AlertAck): Promise<void> {
    cached(this.db, 'UPDATE alerts SET ack = ? WHERE id = ?').run(JSON.stringify(ack), id);
  }

  async putSilence(s: SilenceRecord): Promise<void> {
    cached(this.db, 'INSERT OR REPLACE INTO silences (id, starts_at, ends_at, data) VALUES (?, ?, ?, ?)').run(
      s.id,
      s.startsAt,
      s.endsAt,
      JSON.stringify(s),
    );
  }

  async getSilence(id: string): Promise<SilenceRecord | undefined> {
    const exact = cached(this.db, 'SELECT data FROM silences WHERE id = ?').get(id) as
      { data: string } | undefined;
    if (exact) return JSON.parse(exact.data) as SilenceRecord;
    const rows = cached(this.db, 'SELECT data FROM silences WHERE id LIKE ? LIMIT 2').all(`${id}%`) as Array<{
      data: string;
    }>;
    return rows.length === 1 ? (JSON.parse(rows[0].data) as SilenceRecord) : undefined;
  }

  async listSilences(options: { activeAt?: string } = {}): Promise<SilenceRecord[]> {
    const rows = (
      options.activeAt
        ? cached(
            this.db,
            'SELECT data FROM silences WHERE starts_at <= ? AND ends_at > ? ORDER BY starts_at DESC',
          ).all(options.activeAt, options.activeAt)
        : cached(this.db, 'SELECT data FROM silences ORDER BY starts_at DESC').all()
    ) as Array<{ data: string }>;
    return rows.map((r) => JSON.parse(r.data) as SilenceRecord);
  }

  async addSliSamples(samples: readonly SliSample[]): Promise<void> {
    if (samples.length === 0) return;
    const stmt = cached(
      this.db,
      `INSERT INTO sli_samples (sli, minute, good, total) VALUES (?, ?, ?, ?)
       ON CONFLICT(sli, minute) DO UPDATE SET good = good + excluded.good, total = total + excluded.total`,
    );
    this.db.transaction(() => {
      for (const s of samples) stmt.run(s.sli, s.minute, s.good, s.total);
    })();
  }

  async listSliSamples(sli: string, fromMinute: number): Promise<SliSample[]> {
    return cached(
      this.db,
      'SELECT sli, minute, good, total FROM sli_samples WHERE sli = ? AND minute >= ? ORDER BY minute',
    ).all(sli, fromMinute) as SliSample[];
  }

  async deleteSliSamples(beforeMinute: number): Promise<void> {
    cached(this.db, 'DELETE FROM sli_samples WHERE minute < ?').run(beforeMinute);
  }
}
