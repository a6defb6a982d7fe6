/** Where `setpoint agent` keeps its state by default (its own module: the API names it without loading the agent). */
import { join } from 'node:path';

export function defaultAgentState(): string {
  return process.getuid?.() === 0
    ? '/var/lib/setpoint-agent'
    : join(process.env.HOME ?? '.', '.setpoint-agent');
}
