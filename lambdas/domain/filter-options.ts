/**
 * The values a subscription filter's lists take, in a module of their own
 * with no imports, so the console's filter form (bundled for the browser)
 * offers exactly what the API accepts.
 */

/** Event types as a filter names them: the CloudEvents type without `io.watchpost.`. */
export const FILTERABLE_EVENT_TYPES = ['resource.changed', 'resource.gone', 'resource.stalled', 'resource.resumed', 'watch.failing', 'watch.recovered'] as const;
export type FilterableEventType = (typeof FILTERABLE_EVENT_TYPES)[number];

/** `any`: the grade changed at all (appearing included); `improved`/`worsened`: from one letter to a better/worse one (A best). */
export const GRADE_FILTERS = ['any', 'improved', 'worsened'] as const;
export type GradeFilter = (typeof GRADE_FILTERS)[number];
