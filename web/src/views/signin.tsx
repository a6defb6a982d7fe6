/** Sign-in with an API token (`setpoint token create`): checked against GET /api/v1/info, then kept in this tab's session storage. */
import { useState } from 'preact/hooks';
import { Api, ApiError } from '../api';
import type { Whoami } from '../types';

export function SignIn({
  onSignedIn,
  notice,
}: {
  onSignedIn: (api: Api, who: Whoami) => void;
  notice?: string;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const api = new Api(token.trim());
    try {
      const who = await api.get<Whoami>('/api/v1/info');
      onSignedIn(api, who);
    } catch (err) {
      setError(err instanceof ApiError ? err.explain() : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>setpoint</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby="signin-help">
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          placeholder="spt_…"
        />
        <button type="submit" class="primary" disabled={busy || !token.trim()}>
          Sign in
        </button>
        <p id="signin-help" class="muted small">
          Create one with <code>setpoint token create --name you --role viewer</code>. It stays in this tab
          only (session storage).
        </p>
        {(error ?? notice) && (
          <p role="alert" class="error">
            {error ?? notice}
          </p>
        )}
      </form>
    </main>
  );
}
