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
// Terraform's spelling, `plan -out FILE` (commander's short options are one letter).
const argv = process.argv.map((a) =>
  a === '-out' ? '--out' : a.startsWith('-out=') ? `--out=${a.slice(5)}` : a,
);
await buildProgram().parseAsync(argv);
