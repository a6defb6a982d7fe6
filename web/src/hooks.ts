/** Data hooks: the live store's version, and API reads that refresh when live data changes. */
import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from './api';
import { ApiError } from './api';
import type { Live } from './live';
import type { Whoami } from './types';

export interface Session {
  api: Api;
  who: Whoami;
  live: Live;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('no session');
  return s;
}

/** Re-renders on every change of the live store; returns its version. */
export function useLive(): number {
  const { live } = useSession();
  const [version, setVersion] = useState(live.version);
  useEffect(() => live.subscribe(() => setVersion(live.version)), [live]);
  return version;
}

export interface Loaded<T> {
  data?: T;
  error?: string;
  reload: () => void;
}

/**
 * Reads `path` now, again after each action (reload), and again when live
 * events arrive (at most once a second), so figures follow the stream.
 */
export function useApi<T>(
  path: string | undefined,
  options: {
    follow?: boolean;
    /** Read again whenever this changes (e.g. the live version of one kind). */
    key?: unknown;
    /** Also read again this often, for figures that change without an event (a node going silent). */
    everyMs?: number;
  } = {},
): Loaded<T> {
  const { api, live } = useSession();
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const [tick, setTick] = useState(0);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!path) return;
    let cancelled = false;
    api.get<T>(path).then(
      (data) => !cancelled && setState({ data }),
      (err: unknown) =>
        !cancelled &&
        setState((s) => ({ data: s.data, error: err instanceof ApiError ? err.explain() : String(err) })),
    );
    return () => {
      cancelled = true;
    };
  }, [api, path, tick, options.key]);
  useEffect(() => {
    if (!options.everyMs) return;
    const t = window.setInterval(() => setTick((x) => x + 1), options.everyMs);
    return () => window.clearInterval(t);
  }, [options.everyMs]);
  useEffect(() => {
    if (options.follow === false) return;
    let seen = live.events.length ? live.events[live.events.length - 1].seq : undefined;
    return live.subscribe(() => {
      const last = live.events.length ? live.events[live.events.length - 1].seq : undefined;
      if (last === seen) return;
      seen = last;
      if (timer.current !== undefined) return;
      timer.current = window.setTimeout(() => {
        timer.current = undefined;
        setTick((t) => t + 1);
      }, 1000);
    });
  }, [live, options.follow]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return { ...state, reload: () => setTick((t) => t + 1) };
}
