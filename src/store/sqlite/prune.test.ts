/** Retention on the SQLite store (the contract is shared with PostgreSQL). */
import { join } from 'node:path';
import { tempDir } from '../../../test/helpers.js';
import { pruneContract } from '../../../test/support/store-prune-contract.js';
import { SqliteStore } from './index.js';

pruneContract('SqliteStore', async () => new SqliteStore(join(tempDir(), 'state.db')));
