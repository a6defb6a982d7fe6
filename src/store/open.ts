/** Opens the store a location names: a postgres:// URL or a SQLite file path. */
import type { Store } from './types.js';

export async function openStore(location: string): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(location)) {
    throw new Error('PostgreSQL stores are not available yet');
  }
  const { SqliteStore } = await import('./sqlite/index.js');
  return new SqliteStore(location);
}
