import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { absolute, relative } from './time';

/**
 * How often pages refresh themselves, in seconds: `?refresh=10` on the
 * console's URL (2 to 300), 3 by default. Each page makes one request per refresh.
 */
export function refreshMs(search = location.search): number {
  const asked = Number(new URLSearchParams(search).get('refresh'));
  return Number.isFinite(asked) && asked >= 2 && asked <= 300 ? asked * 1000 : 3_000;
}

export interface Polled<T> {
  data: T | undefined;
  /** The last refresh failed: what went wrong. `data`, if any, is from `loadedAt`. */
  error: string | null;
  /** The status of the last failure (404: the thing is not there). */
  errorStatus: number | null;
  loadedAt: number | null;
  reload: () => void;
}

/** Loads and re-loads something every refresh; `reload` forces it now. A failed refresh keeps the last data, marked stale. */
export function usePolled<T>(load: () => Promise<T>, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [errorStatus, setErrorStatus] = useState<number | null>(null);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    setData(undefined);
    setLoadedAt(null);
  }, deps);
  useEffect(() => {
    let live = true;
    loader
      .current()
      .then((value) => {
        if (!live) return;
        setData(value);
        setError(null);
        setErrorStatus(null);
        setLoadedAt(Date.now());
      })
      .catch((problem: unknown) => {
        if (!live) return;
        const status = typeof (problem as { status?: unknown }).status === 'number' ? (problem as { status: number }).status : null;
        setError(status === null || status === 0 ? 'The watch API could not be reached.' : problem instanceof Error ? problem.message : String(problem));
        setErrorStatus(status);
      });
    const timer = setTimeout(reload, refreshMs());
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, errorStatus, loadedAt, reload };
}

/** Says a refresh failed, and how old what is still shown is; the shown data is dimmed by the `stale` class. */
export function StaleBanner({ polled }: { polled: Pick<Polled<unknown>, 'error' | 'loadedAt' | 'data'> }) {
  if (!polled.error) return null;
  return (
    <div role="alert" class="banner">
      {polled.error}
      {polled.data !== undefined && polled.loadedAt !== null ? ` Showing what it said ${relative(new Date(polled.loadedAt).toISOString(), Date.now())} (${absolute(new Date(polled.loadedAt).toISOString())}); retrying.` : ' Retrying.'}
    </div>
  );
}
