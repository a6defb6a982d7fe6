/**
 * PostgreSQL side of the alerting state (tables of migration 5), as in
 * ../sqlite/alerts.ts: an acknowledgement lives in its own column, written
 * only by `ackAlert`, so serve rewriting an incident never loses an ack.
 */
import type { AlertAck, AlertFilter, AlertRecord, AlertStore, SilenceRecord, SliSample } from '../alerts.js';
import type { PgPool } from './pool.js';
import type { PgWrites } from './writes.js';
import { alertFromRow, type AlertRow } from '../rows.js';

export class PgAlertStore implements AlertStore {
  constructor(
    private readonly db: PgPool,
    private readonly writes: PgWrites,
  ) {}

  async putAlerts(alerts: readonly AlertRecord[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.writes.write(async (c) => {
      for (const a of alerts) {
        const { ack: _ack, ...rest } = a;
        await c.query(
          `INSERT INTO alerts (id, fingerprint, state, severity, started_at, resolved_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (id) DO UPDATE SET state = excluded.state, resolved_at = excluded.resolved_at, data = excluded.data`,
          [a.id, a.fingerprint, a.state, a.severity, a.startsAt, a.resolvedAt ?? null, JSON.stringify(rest)],
        );
      }
    });
  }

  async listAlerts(filter: AlertFilter = {}): Promise<AlertRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.states?.length) {
      args.push(filter.states);
      where.push(`state = ANY($${args.length}::text[])`);
    }
    if (filter.since) {
      args.push(filter.since);
      where.push(`started_at >= $${args.length}`);
    }
    if (filter.ackedSince) {
      args.push(filter.ackedSince);
      where.push(`ack IS NOT NULL AND (ack::jsonb ->> 'at') >= $${args.length}`);
    }
    args.push(filter.limit ?? 1000);
    const { rows } = await this.db.query<AlertRow>(
      `SELECT data, ack FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at DESC, ord DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map(alertFromRow);
  }

  async getAlert(id: string): Promise<AlertRecord | undefined> {
    const exact = await this.db.query<AlertRow>('SELECT data, ack FROM alerts WHERE id = $1', [id]);
    if (exact.rows[0]) return alertFromRow(exact.rows[0]);
    const { rows } = await this.db.query<AlertRow>(
      'SELECT data, ack FROM alerts WHERE starts_with(id, $1) LIMIT 2',
      [id],
    );
    return rows.length === 1 ? alertFromRow(rows[0]) : undefined;
  }

  async ackAlert(id: string, ack: AlertAck): Promise<void> {
    await this.writes.write((c) =>
      c.query('UPDATE alerts SET ack = $1 WHERE id = $2', [JSON.stringify(ack), id]),
    );
  }

  async putSilence(s: SilenceRecord): Promise<void> {
    await this.writes.write((c) =>
      c.query(
        `INSERT INTO silences (id, starts_at, ends_at, data) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, data = excluded.data`,
        [s.id, s.startsAt, s.endsAt, JSON.stringify(s)],
      ),
    );
  }

  async getSilence(id: string): Promise<SilenceRecord | undefined> {
    const exact = await this.db.query<{ data: string }>('SELECT data FROM silences WHERE id = $1', [id]);
    if (exact.rows[0]) return JSON.parse(exact.rows[0].data) as SilenceRecord;
    const { rows } = await this.db.query<{ data: string }>(
      'SELECT data FROM silences WHERE starts_with(id, $1) LIMIT 2',
      [id],
    );
    return rows.length === 1 ? (JSON.parse(rows[0].data) as SilenceRecord) : undefined;
  }

  async listSilences(options: { activeAt?: string } = {}): Promise<SilenceRecord[]> {
    const { rows } = options.activeAt
      ? await this.db.query<{ data: string }>(
          'SELECT data FROM silences WHERE starts_at <= $1 AND ends_at > $1 ORDER BY starts_at DESC',
          [options.activeAt],
        )
      : await this.db.query<{ data: string }>('SELECT data FROM silences ORDER BY starts_at DESC');
    return rows.map((r) => JSON.parse(r.data) as SilenceRecord);
  }

  async addSliSamples(samples: readonly SliSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.writes.write(async (c) => {
      for (const s of samples)
        await c.query(
          `INSERT INTO sli_samples (sli, minute, good, total) VALUES ($1, $2, $3, $4)
           ON CONFLICT (sli, minute) DO UPDATE SET good = sli_samples.good + excluded.good, total = sli_samples.total + excluded.total`,
          [s.sli, s.minute, s.good, s.total],
        );
    });
  }

  async listSliSamples(sli: string, fromMinute: number): Promise<SliSample[]> {
    const { rows } = await this.db.query<SliSample>(
      'SELECT sli, minute, good, total FROM sli_samples WHERE sli = $1 AND minute >= $2 ORDER BY minute',
      [sli, fromMinute],
    );
    return rows;
  }

  async deleteSliSamples(beforeMinute: number): Promise<void> {
    await this.writes.write((c) => c.query('DELETE FROM sli_samples WHERE minute < $1', [beforeMinute]));
  }
}
