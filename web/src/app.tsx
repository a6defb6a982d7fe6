/** The shell: sign-in, the header (views, search, connection state, theme, who), and the view for the path. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, onUnauthorized, resourcePath } from './api';
import { SessionContext, useLive, useSession, type Session } from './hooks';
import { Live } from './live';
import { navigate, onLinkClick, usePath } from './router';
import { clearToken, loadToken, saveToken } from './session';
import type { Whoami } from './types';
import { Debug } from './views/debug';
import { Executive } from './views/executive';
import { OnCall } from './views/oncall';
import { SignIn } from './views/signin';

export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [restoring, setRestoring] = useState(Boolean(loadToken()));
  const [notice, setNotice] = useState<string | undefined>();
  const start = (api: Api, who: Whoami) => {
    saveToken(api.token);
    const live = new Live(api);
    live.start();
    setSession({ api, who, live });
  };
  const signOut = (why?: string) => {
    clearToken();
    setSession((s) => {
      s?.live.stop();
      return undefined;
    });
    setNotice(why);
  };
  useEffect(() => onUnauthorized((err) => signOut(err.explain())), []);
  useEffect(() => {
    const token = loadToken();
    if (!token) return;
    const api = new Api(token);
    api
      .get<Whoami>('/api/v1/info')
      .then((who) => start(api, who))
      .catch(() => clearToken())
      .finally(() => setRestoring(false));
  }, []);
  if (restoring) return <p class="muted center">Loading…</p>;
  if (!session) return <SignIn onSignedIn={start} notice={notice} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell onSignOut={() => signOut()} />
    </SessionContext.Provider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const path = usePath();
  const { who } = useSession();
  const view = useMemo(() => {
    const m = /^\/r\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(path);
    if (m) return <Debug key={path} id={m.slice(1).map(decodeURIComponent).join('/')} />;
    if (path === '/executive') return <Executive />;
    return <OnCall />;
  }, [path]);
  return (
    <div class="app" onClick={onLinkClick}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a href="/oncall" class="brand" aria-label="setpoint home">
          setpoint
        </a>
        <nav aria-label="Views">
          <a href="/oncall" aria-current={path === '/oncall' || path === '/' ? 'page' : undefined}>
            On-call
          </a>
          <a href="/executive" aria-current={path === '/executive' ? 'page' : undefined}>
            Executive
          </a>
        </nav>
        <Search />
        <ConnectionState />
        <ThemeToggle />
        <span
          class="who"
          title={
            who.token.namespaces.length ? `namespaces: ${who.token.namespaces.join(', ')}` : 'all namespaces'
          }
        >
          {who.token.name} · <span data-testid="role">{who.token.role}</span>
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {view}
    </div>
  );
}

function ConnectionState() {
  const { live } = useSession();
  useLive();
  const text = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' }[
    live.connection
  ];
  return (
    <span
      class={`conn conn-${live.connection}`}
      role="status"
      aria-live="polite"
      data-testid="connection"
      title={live.error}
    >
      <span class="dot" aria-hidden="true" /> {text}
      {live.connection !== 'live' && live.error && <span class="small muted conn-why">{live.error}</span>}
    </span>
  );
}

function Search() {
  const { live } = useSession();
  const [q, setQ] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const term = q.trim().toLowerCase();
    if (!term) return;
    const ids = [...live.rows.keys()];
    const hit =
      ids.find((id) => id.toLowerCase() === term) ?? ids.find((id) => id.toLowerCase().includes(term));
    if (hit) {
      setQ('');
      navigate(`/r/${resourcePath(hit)}`);
    }
  };
  return (
    <form role="search" onSubmit={submit} class="search">
      <label class="sr-only" for="search">
        Find a resource
      </label>
      <input
        id="search"
        type="search"
        list="resource-ids"
        placeholder="Find a resource…"
        value={q}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
      />
      <datalist id="resource-ids">
        {q.length >= 2 &&
          [...live.rows.keys()]
            .filter((id) => id.toLowerCase().includes(q.toLowerCase()))
            .slice(0, 20)
            .map((id) => <option key={id} value={id} />)}
      </datalist>
    </form>
  );
}

function ThemeToggle() {
  const [theme, setTheme] = useState(() => localStorage.getItem('setpoint.theme') ?? 'auto');
  useEffect(() => {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem('setpoint.theme', theme);
  }, [theme]);
  const next = theme === 'auto' ? 'dark' : theme === 'dark' ? 'light' : 'auto';
  return (
    <button type="button" onClick={() => setTheme(next)} aria-label={`Theme: ${theme}; switch to ${next}`}>
      {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
    </button>
  );
}
