/** Numbered schema migrations; the database's user_version is the last one applied. */

export const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE revisions (
        id TEXT PRIMARY KEY, source TEXT NOT NULL, created_at TEXT NOT NULL, admitted INTEGER NOT NULL,
        data TEXT NOT NULL);
      CREATE INDEX revisions_source ON revisions(source, created_at);
      CREATE TABLE resources (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        source TEXT NOT NULL, sync TEXT NOT NULL, health TEXT NOT NULL, managed INTEGER NOT NULL,
        declared INTEGER NOT NULL, signature TEXT NOT NULL, data TEXT NOT NULL);
      CREATE INDEX resources_kind ON resources(kind, namespace);
      CREATE INDEX resources_source ON resources(source);
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, type TEXT NOT NULL, reason TEXT NOT NULL,
        message TEXT NOT NULL, resource_id TEXT, revision_id TEXT, run_id TEXT);
      CREATE INDEX events_resource ON events(resource_id, seq);
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        resource_id TEXT, revision_id TEXT, diff_digest TEXT, result TEXT NOT NULL, detail TEXT,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE INDEX audit_resource ON audit(resource_id);
      CREATE TABLE runs (
        id TEXT PRIMARY KEY, command TEXT NOT NULL, revision_id TEXT, actor TEXT NOT NULL,
        started_at TEXT NOT NULL, finished_at TEXT, result TEXT NOT NULL, summary TEXT NOT NULL);
      CREATE TABLE leases (
        name TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL, acquired_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL);
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE approvals (
        id TEXT PRIMARY KEY, resource_id TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL,
        data TEXT NOT NULL);
      CREATE INDEX approvals_state ON approvals(state, created_at);
      CREATE TABLE nudges (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, resource_id TEXT, reason TEXT NOT NULL, actor TEXT NOT NULL,
        at TEXT NOT NULL);
      CREATE TABLE drift_episodes (
        id INTEGER PRIMARY KEY AUTOINCREMENT, resource_id TEXT NOT NULL, kind TEXT NOT NULL,
        detected_at TEXT NOT NULL, recorded_at TEXT NOT NULL, remediated_at TEXT, resolution TEXT);
      CREATE INDEX drift_episodes_time ON drift_episodes(recorded_at);
    `,
  },
  {
    // Policy violations: every verdict that did not comply, whatever its action.
    version: 3,
    sql: `
      CREATE TABLE IF NOT EXISTS policy_violations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, policy TEXT NOT NULL, resource_id TEXT NOT NULL,
        revision_id TEXT, action TEXT NOT NULL, phase TEXT NOT NULL, blocked INTEGER NOT NULL, message TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS policy_violations_policy ON policy_violations(policy, seq);
      CREATE INDEX IF NOT EXISTS policy_violations_resource ON policy_violations(resource_id, seq);
    `,
  },
  {
    version: 4,
    sql: `
      CREATE TABLE IF NOT EXISTS api_tokens (
        name TEXT PRIMARY KEY, hash TEXT NOT NULL, role TEXT NOT NULL, revoked_at TEXT, data TEXT NOT NULL);
    `,
  },
  {
    // Alerting: incidents (acks in their own column), silences, per-minute SLI samples.
    version: 5,
    sql: `
      CREATE TABLE IF NOT EXISTS alerts (
        id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
        started_at TEXT NOT NULL, resolved_at TEXT, ack TEXT, data TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS alerts_state ON alerts(state, started_at);
      CREATE INDEX IF NOT EXISTS alerts_fingerprint ON alerts(fingerprint);
      CREATE TABLE IF NOT EXISTS silences (
        id TEXT PRIMARY KEY, starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sli_samples (
        sli TEXT NOT NULL, minute INTEGER NOT NULL, good INTEGER NOT NULL, total INTEGER NOT NULL,
        PRIMARY KEY (sli, minute));
    `,
  },
  {
    version: 6,
    sql: `
      CREATE TABLE IF NOT EXISTS sources (name TEXT PRIMARY KEY, data TEXT NOT NULL);
    `,
  },
  {
    // The lease's fencing token is its term (holder, term, expiry), as in the PostgreSQL schema.
    version: 7,
    sql: `
      ALTER TABLE leases RENAME COLUMN token TO term;
    `,
  },
  {
    // Runs know their process (an abandoned one is marked interrupted); actions write their intent before
    // acting; a record says why it is Held in a column, so summaries count alert-mode drift.
    version: 8,
    sql: `
      ALTER TABLE runs ADD COLUMN holder TEXT;
      ALTER TABLE resources ADD COLUMN held TEXT;
      CREATE INDEX IF NOT EXISTS runs_result ON runs(result);
      CREATE TABLE IF NOT EXISTS action_intents (
        holder TEXT NOT NULL, resource_id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (holder, resource_id));
    `,
  },
  {
    // Every plan reads the summary of each resource of a source: a covering index answers it without
    // touching the rows (whose JSON bodies are large), about 3x faster at 10,000 resources.
    version: 9,
    sql: `
      CREATE INDEX IF NOT EXISTS resources_summary ON resources(source, id, sync, managed, declared, signature, held);
    `,
  },
];
