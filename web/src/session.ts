/**
 * The API token of this browser tab: kept in sessionStorage (gone when the
 * tab closes), never put in a URL, never logged.
 */
const KEY = 'setpoint.token';

export function loadToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}
