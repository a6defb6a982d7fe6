/**
 * A JSON request body as the routes accept it: UTF-8 JSON whose top level is
 * an object, nested at most JSON_MAX_DEPTH levels (deeper values would
 * overflow the stack of anything that walks them, e.g. JSON.stringify).
 * An empty body is the empty object.
 */
import { badRequest } from './errors.js';
import { JSON_MAX_DEPTH } from './limits.js';

const HINT =
  'send Content-Type: application/json with a JSON object (the OpenAPI document describes each body)';

export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('request body is not valid UTF-8', HINT);
  }
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`request body is not JSON: ${(err as Error).message}`, HINT);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw badRequest(`request body must be a JSON object, not ${describe(value)}`, HINT);
  if (depthOver(value, JSON_MAX_DEPTH))
    throw badRequest(`request body is nested deeper than ${JSON_MAX_DEPTH} levels`, HINT);
  return value as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** True when `value` has containers nested more than `max` deep (walked without recursion). */
export function depthOver(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
