import { useEffect } from 'preact/hooks';

/** Names the page in the document title (what a tab, history and a screen reader announce). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Watchpost`;
  }, [title]);
}

/** Shown for a route the console does not have, or a watch or subscription that is not (or no longer) there. */
export function NotFound({ what, back }: { what: string; back: { href: string; label: string } }) {
  useTitle('Not found');
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Not found
      </h1>
      <p>{what}</p>
      <p>
        <a href={back.href}>{back.label}</a>
      </p>
    </section>
  );
}
