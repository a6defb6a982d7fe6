/**
 * The last check before a side effect: a process-wide, synchronous guard
 * that runs right before a command is spawned (Exec and other commands).
 *
 * Fencing (store/fence.ts) refuses a paused leader's writes, and the engine
 * checks the lease before each action; but a leader frozen (SIGSTOP, a VM
 * pause) after that check and before the provider starts a command would
 * otherwise start it on waking, beside the new leader. The serve leader sets
 * a guard that throws once its lease, by its own monotonic clock, may have
 * run out; being synchronous, nothing can pause between it and the spawn
 * but the spawn call itself. Unset (one-shot runs, followers): no check.
 */
let guard: (() => void) | undefined;

/** Installs `check` (it throws to refuse); returns the function that removes it. */
export function setActGuard(check: () => void): () => void {
  guard = check;
  return () => {
    if (guard === check) guard = undefined;
  };
}

/** Throws when the installed guard refuses acting now. */
export function assertMayAct(): void {
  guard?.();
}
