import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, forgetToken, SIGNED_OUT, storedToken, storeToken } from './api';
import { NotFound, useTitle } from './page';
import { SubscriptionPage } from './subscription-page';
import { SubscriptionsPage } from './subscriptions';
import { WatchPage } from './watch-page';
import { WatchesPage } from './watches';

/** Where the console is: `#/watches`, `#/watches/{id}`, `#/subscriptions` or `#/subscriptions/{id}` (the hash never holds the token). */
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
  useTitle('Sign in');
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
      <h1 id="page-title" tabIndex={-1}>
        Sign in to Watchpost
      </h1>
      <form onSubmit={submit} aria-describedby="signin-help token-source">
        <label for="token">Team token</label>
        <input id="token" name="token" type="password" autocomplete="off" required value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <p id="token-source" class="hint">
          A team token (<code>wpt_…</code>) comes from your Watchpost operator, who creates one with <code>npm run admin -- create-token &lt;team&gt; --name &lt;what-for&gt;</code>; in the local demo (<code>npm start</code>) it is in{' '}
          <code>.watchpost/demo-team-token</code>.
        </p>
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

/** Moves focus to the page's heading, so a screen reader hears where a navigation led and the keyboard starts there. */
function focusHeading(): void {
  (document.getElementById('page-title') ?? document.querySelector<HTMLElement>('main h1'))?.focus();
}

function App() {
  const [signedIn, setSignedIn] = useState(storedToken() !== null);
  const route = useRoute();
  const [first, setFirst] = useState(true);
  useEffect(() => {
    // Not on the first load (the page starts at the top anyway); on every navigation after it.
    if (first) return setFirst(false);
    // After the new page has rendered its heading.
    const timer = setTimeout(focusHeading, 0);
    return () => clearTimeout(timer);
  }, [route, signedIn]);
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
  const subscriptionId = /^\/subscriptions\/([\w-]+)$/.exec(route)?.[1];
  const section = route.startsWith('/subscriptions') ? 'subscriptions' : 'watches';
  const page = watchId ? (
    <WatchPage id={watchId} />
  ) : subscriptionId ? (
    <SubscriptionPage id={subscriptionId} />
  ) : route === '/subscriptions' ? (
    <SubscriptionsPage />
  ) : route === '/watches' || route === '/' ? (
    <WatchesPage />
  ) : (
    <NotFound what={`The console has no page at ${route}.`} back={{ href: '#/watches', label: '← Watches' }} />
  );
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(event) => {
          // The hash is the route: move focus without changing it.
          event.preventDefault();
          focusHeading();
        }}
      >
        Skip to content
      </a>
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
      <main id="main">{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
