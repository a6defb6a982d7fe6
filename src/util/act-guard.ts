/**
 * The last check before a side effect: a process-wide, synchronous guard
 * that runs right before a command is spawned (Exec and other commands).
 *
 * Fencing (store/fence.ts) refuses a paused leader's writes, and the engine
 * checks the lease before each action; but a leader frozen (SIGSTOP, a VM
 * pause) after that check and before the provider starts a command would
 * otherwise start it on waking, beside the new leader. The serve leader sets
 * a guard that throws once its lease, by its own monotonic clock, may have
 * run out. It runs before the spawn and again after it, and the command
 * waits at a gate until the second check passed (util/command.ts): a pause
 * during the spawn (a fork restarted after SIGCONT) starts nothing either.
 * What remains is the write that opens the gate, a few microseconds. Unset
 * (one-shot runs, followers): no check, no gate.
 */
let guard: (() => void) | undefined;

/** Installs `check` (it throws to refuse); returns the function that removes it. */
export function setActGuard(check: () => void): () => void {
  guard = check;
  return () => {
    if (guard === check) guard = undefined;
  };
}

/** Whether a guard is installed (commands then wait at a gate until it passes after their spawn). */
export function hasActGuard(): boolean {
  return guard !== undefined;
}

/** Throws when the installed guard refuses acting now. */
export function assertMayAct(): void {
  guard?.();
}
