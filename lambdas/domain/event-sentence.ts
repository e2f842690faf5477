/**
 * An event as a sentence a person reads at a glance, e.g. "Run finished:
 * grade A → C" or "Checks failing ×5: timeout". The console's event lists
 * and the delivery attempts' summaries use it. It takes the API's event
 * shape loosely, so an event type or status added later still reads.
 */
import { statusPhase } from './health';

export interface SentenceEvent {
  type: string;
  data: {
    changes?: ReadonlyArray<{ field: string; from: string | number | null; to: string | number | null }>;
    failure?: { kind: string; message?: string; consecutiveFailures: number } | undefined;
  };
}

const shown = (value: string | number | null | undefined) => (value === null || value === undefined ? '–' : String(value));

const STATUS_SENTENCE: Partial<Record<ReturnType<typeof statusPhase>, string>> = {
  pending: 'Run queued',
  running: 'Run started',
  awaiting_input: 'Waiting for input',
  succeeded: 'Run finished',
  failed: 'Run failed',
  cancelled: 'Run cancelled',
  ending: 'Being deleted',
};

export function eventSentence(event: SentenceEvent): string {
  const type = event.type.replace(/^io\.watchpost\./, '');
  const failure = event.data.failure;
  switch (type) {
    case 'resource.gone':
      return 'Gone upstream: no longer exists';
    case 'watch.failing':
      return `Checks failing ×${failure?.consecutiveFailures ?? '?'}${failure ? `: ${failure.kind}` : ''}`;
    case 'resource.stalled':
      return 'Stalled: no progress for a while';
    case 'resource.resumed':
      return 'Moving again after a stall';
    case 'watch.recovered':
      return 'Checks working again';
    case 'subscription.test':
      return 'Test notification';
    case 'resource.changed':
      break;
    default:
      return type;
  }
  const changes = event.data.changes ?? [];
  const status = changes.find((change) => change.field === 'status');
  const others = changes.filter((change) => change.field !== 'status').map((change) => `${change.field} ${shown(change.from)} → ${shown(change.to)}`);
  if (!status) return others.length > 0 ? `Changed: ${others.join(', ')}` : 'Changed';
  const phase = statusPhase(typeof status.to === 'string' ? status.to : null);
  // The named phase when it says more than the raw move; a status Watchpost does not know is shown as it is.
  const head = STATUS_SENTENCE[phase] ? `${STATUS_SENTENCE[phase]} (${shown(status.from)} → ${shown(status.to)})` : `Status ${shown(status.from)} → ${shown(status.to)}`;
  return others.length > 0 ? `${head}: ${others.join(', ')}` : head;
}
