/** The `setpoint` executable: builds the command tree (main.ts) and runs it on the process arguments. */
import { mark } from '../telemetry/index.js';
import { buildProgram } from './main.js';

// `setpoint status | head`: the reader went away; stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

mark('modules loaded');
await buildProgram().parseAsync(process.argv);
