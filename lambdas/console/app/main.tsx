import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, forgetToken, SIGNED_OUT, storedToken, storeToken } from './api';
import { SubscriptionsPage } from './subscriptions';
import { WatchPage } from './watch-page';
import { WatchesPage } from './watches';

/** Where the console is: `#/watches`, `#/watches/{id}` or `#/subscriptions` (the hash never holds the token). */
function useRoute(): string {
  const [route, setRoute] = useState(location.hash.slice(1) || '/watches');
  useEffect(() => {
    const onChange = () => setRoute(location.hash.slice(1) || '/watches');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // A cheap request that only a valid team token answers.
      await api('GET', '/v1/watches?limit=1', undefined, token.trim());
      storeToken(token.trim());
      onSignedIn();
    } catch (problem) {
      setError(problem instanceof ApiError && problem.status === 401 ? 'That token is not valid (or was revoked).' : 'The watch API could not be reached.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Watchpost</h1>
      <form onSubmit={submit} aria-describedby="signin-help">
        <label for="token">Team token</label>
        <input id="token" name="token" type="password" autocomplete="off" required value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <p id="signin-help" class="hint">
          Kept in this tab only (sessionStorage) and sent as the Authorization header.
        </p>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(storedToken() !== null);
  const route = useRoute();
  useEffect(() => {
    const onSignedOut = () => setSignedIn(false);
    addEventListener(SIGNED_OUT, onSignedOut);
    return () => removeEventListener(SIGNED_OUT, onSignedOut);
  }, []);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const signOut = () => {
    forgetToken();
    setSignedIn(false);
    location.hash = '';
  };
  const watchId = /^\/watches\/([\w-]+)$/.exec(route)?.[1];
  const section = route.startsWith('/subscriptions') ? 'subscriptions' : 'watches';
  return (
    <>
      <header class="top">
        <span class="brand">Watchpost</span>
        <nav aria-label="Sections">
          <a href="#/watches" aria-current={section === 'watches' ? 'page' : undefined}>
            Watches
          </a>
          <a href="#/subscriptions" aria-current={section === 'subscriptions' ? 'page' : undefined}>
            Subscriptions
          </a>
        </nav>
        <button type="button" class="quiet" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>{watchId ? <WatchPage id={watchId} /> : section === 'subscriptions' ? <SubscriptionsPage /> : <WatchesPage />}</main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
