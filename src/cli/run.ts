/** The `setpoint` executable: builds the command tree (main.ts) and runs it on the process arguments. */
import { mark } from '../telemetry/timing.js';
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
void main();

async function main(): Promise<void> {
  await buildProgram().parseAsync(argv);
  // The command is done (serve and agent return only once stopped), its store
  // closed and its log flushed. Exit now rather than when the event loop
  // drains: at a natural exit Node first waits for V8's background work
  // (optimising compiles, GC) and for idle keep-alive sockets' timers, which on
  // a busy machine took 0.1-0.4 s after the work was over.
  await drained(process.stdout);
  await drained(process.stderr);
  process.exit();
}

/** Resolves once what was written to `stream` has been handed to the OS (it is synchronous for files and, on Linux, pipes and terminals). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise((done) => {
    stream.once('drain', done);
    stream.once('error', done);
  });
}
