import type { Attention } from '../../domain/health';

/** A badge in the colour of its attention: critical red, warning amber, notice blue, ok green, idle grey. */
export function HealthBadge({ attention, label, title }: { attention: Attention | string; label: string; title?: string | undefined }) {
  return (
    <span class={`badge a-${attention}`} title={title}>
      {label}
    </span>
  );
}
