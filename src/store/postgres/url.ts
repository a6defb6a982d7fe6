/**
 * PostgreSQL state locations: which strings name one, and how to show one
 * without its password. A URL may carry a password, but setpoint never
 * prints it: every message, log line and `status` shows the redacted form.
 */

/** True for `postgres://…` and `postgresql://…`. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL with its password removed (the user, host, port and database stay): safe to print. */
export function redactUrl(location: string): string {
  if (!location.includes('://')) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = '';
    // Query parameters may carry a password too (`?password=`).
    for (const key of [...url.searchParams.keys()])
      if (/pass/i.test(key)) url.searchParams.set(key, 'redacted');
    return url.toString();
  } catch {
    // Unparsable: cut everything between the scheme and the host.
    return location.replace(/\/\/[^@/]*@/, '//redacted@');
  }
}

/** "host:port" of a URL, for errors about reaching the server. */
export function serverOf(location: string): string {
  try {
    const url = new URL(location);
    return `${url.hostname || process.env.PGHOST || 'localhost'}:${url.port || process.env.PGPORT || '5432'}`;
  } catch {
    return 'the PostgreSQL server';
  }
}
