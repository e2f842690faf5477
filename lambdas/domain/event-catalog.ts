import { z } from 'zod';
import { chatMessage } from './chat-message';
import { EVENT_SCHEMAS, NOTICE_SCHEMAS } from './event-schema';
import { buildWatchEvent, EVENT_TYPES, type EventType, type WatchEvent } from './events';
import type { Snapshot } from './snapshot';
import { buildDisabledNotice, NOTICE_TYPES, type SubscriptionDisabledNotice } from './subscription-notice';

/**
 * `GET /v1/event-types`: every event type a subscription can receive, with
 * what it means, its JSON Schema (generated from the zod schema deliveries
 * are validated with) and an example built by the same code that builds real
 * events, so the catalog cannot drift from what is sent.
 */
export interface EventTypeEntry {
  type: EventType | SubscriptionDisabledNotice['type'];
  /** As subscription filters name it (`eventTypes`); null for the test event and notices, which no filter selects. */
  filterName: string | null;
  description: string;
  schema: Record<string, unknown>;
  example: WatchEvent | SubscriptionDisabledNotice;
  /** The same type for the other resource types, where their payload reads differently (a run's outcome, say). */
  moreExamples?: WatchEvent[];
  /**
   * What each chat channel posts for the example, rendered by the code that
   * renders real deliveries (a link template set to `https://app.example.com/…`).
   * Notices go to email only, so they have none.
   */
  renderings: { slack: unknown; teams: unknown; discord: unknown } | null;
}

/** The link templates the catalog's renderings show, so their links are visible. */
const EXAMPLE_LINKS = { dataset: 'https://app.example.com/datasets/{datasetId}', correction_session: 'https://app.example.com/projects/{projectId}/corrections/{correctionId}' };

function renderings(event: WatchEvent): NonNullable<EventTypeEntry['renderings']> {
  return { slack: chatMessage('slack', event, EXAMPLE_LINKS), teams: chatMessage('teams', event, EXAMPLE_LINKS), discord: chatMessage('discord', event, EXAMPLE_LINKS) };
}

const EXAMPLE_TIME = new Date('2026-11-24T09:30:00Z');
const WATCH = { watchId: 'w_4f1c2a9e0b7d43a1c5e6f708', team: 'ml-platform', label: 'nightly eval', resource: { type: 'dataset' as const, datasetId: 'ds_42' } };

function snapshot(fields: Partial<Snapshot>): Snapshot {
  return {
    status: 'running',
    grade: null,
    score: null,
    progressPercent: 50,
    details: { name: 'Support tickets Q4', runId: 'run_ds_42_1', rowCount: 1200, updatedAt: '2026-11-24T09:29:41Z', errorMessage: null },
    ...fields,
  };
}

/**
 * One watch's story, each event at its own version (so each has its own id,
 * as real events do): the run stands still at 50% for over an hour (3) and
 * moves again (4), polling fails (5) and recovers (6), the run finishes (7),
 * the dataset is deleted (8).
 */
const EXAMPLE_VERSIONS = { stalled: 3, resumed: 4, failing: 5, recovered: 6, changed: 7, gone: 8 } as const;
const STALL = { thresholdMinutes: 60, lastMovedAt: '2026-11-24T08:12:00.000Z', lastProgressPercent: 50 };
/** Test events are not numbered from a watch: each send gets a fresh random id of this form. */
const EXAMPLE_TEST_ID = 'evt_test_5d41402abc4b2a76b9719d911017c592';

function example(type: EventType): WatchEvent {
  const running = snapshot({});
  const base = { watch: WATCH, time: EXAMPLE_TIME, type };
  switch (type) {
    case EVENT_TYPES.changed:
      return buildWatchEvent({
        ...base,
        version: EXAMPLE_VERSIONS.changed,
        changes: [
          { field: 'status', from: 'running', to: 'succeeded' },
          { field: 'grade', from: null, to: 'B' },
        ],
        previous: running,
        current: snapshot({ status: 'succeeded', grade: 'B', score: 0.81, progressPercent: null }),
      });
    case EVENT_TYPES.gone:
      return buildWatchEvent({ ...base, version: EXAMPLE_VERSIONS.gone, changes: [], previous: running, current: null });
    case EVENT_TYPES.failing:
      return buildWatchEvent({
        ...base,
        version: EXAMPLE_VERSIONS.failing,
        changes: [],
        previous: running,
        current: running,
        failure: { kind: 'unavailable', message: 'datasets/ds_42: upstream answered 503', consecutiveFailures: 5 },
      });
    case EVENT_TYPES.recovered:
      return buildWatchEvent({ ...base, version: EXAMPLE_VERSIONS.recovered, changes: [], previous: running, current: running });
    case EVENT_TYPES.stalled: {
      const still = snapshot({ movedAt: STALL.lastMovedAt });
      return buildWatchEvent({
        ...base,
        version: EXAMPLE_VERSIONS.stalled,
        changes: [],
        previous: still,
        current: { ...still, stalledSince: '2026-11-24T09:13:00.000Z' },
        stall: { ...STALL, minutesWithoutMotion: 61 },
      });
    }
    case EVENT_TYPES.resumed:
      return buildWatchEvent({
        ...base,
        version: EXAMPLE_VERSIONS.resumed,
        changes: [],
        previous: snapshot({ movedAt: STALL.lastMovedAt, stalledSince: '2026-11-24T09:13:00.000Z' }),
        current: snapshot({ progressPercent: 75, movedAt: EXAMPLE_TIME.toISOString() }),
        stall: { ...STALL, minutesWithoutMotion: 78, resumedStatus: 'running' },
      });
    default:
      return { ...buildWatchEvent({ ...base, version: 0, changes: [], previous: null, current: running }), id: EXAMPLE_TEST_ID };
  }
}

const RUN_WATCH = { watchId: 'w_9a0c7e51d2b34f6a8e1c0d27', team: 'ml-platform', label: 'Q4 fine-tune', resource: { type: 'autoscientist_run' as const, runId: 'as_run_7f3a' } };
const RUN_DETAILS = {
  datasetId: 'ds_42',
  model: 'llama-3.1-8b-instruct',
  trainingMethod: 'instruction',
  maxIterations: 5,
  targetWinRate: 0.8,
  errorMessage: null,
  createdAt: '2026-11-24T06:00:00Z',
};

/** A training run that beat its target: status and win rate change at once (the watch tracks both). */
function runExample(): WatchEvent {
  return buildWatchEvent({
    watch: RUN_WATCH,
    version: 6,
    time: EXAMPLE_TIME,
    type: EVENT_TYPES.changed,
    changes: [
      { field: 'status', from: 'running', to: 'succeeded' },
      { field: 'winRate', from: 0.74, to: 0.82 },
    ],
    previous: { status: 'running', grade: null, score: 0.74, progressPercent: 80, details: { ...RUN_DETAILS, iterationsCompleted: 4, bestWinRate: 0.74, downloadAvailable: false, completedAt: null } },
    current: {
      status: 'succeeded',
      grade: null,
      score: 0.82,
      progressPercent: 100,
      details: { ...RUN_DETAILS, iterationsCompleted: 5, bestWinRate: 0.82, downloadAvailable: true, completedAt: '2026-11-24T09:29:12Z' },
    },
  });
}

/** Static: built once, when the route first loads this module (routes import it lazily, so a cold start does not pay for it). */
export const EVENT_CATALOG: readonly EventTypeEntry[] = buildCatalog();

function buildCatalog(): EventTypeEntry[] {
  const events = (Object.entries(EVENT_SCHEMAS) as Array<[EventType, (typeof EVENT_SCHEMAS)[EventType]]>).map(([type, schema]) => ({
    type,
    filterName: type === EVENT_TYPES.test ? null : type.replace(/^io\.watchpost\./, ''),
    description: schema.description ?? '',
    schema: jsonSchema(schema),
    example: example(type),
    renderings: renderings(example(type)),
    ...(type === EVENT_TYPES.changed ? { moreExamples: [runExample()] } : {}),
  }));
  const disabled = NOTICE_SCHEMAS[NOTICE_TYPES.subscriptionDisabled];
  const notice: EventTypeEntry = {
    type: NOTICE_TYPES.subscriptionDisabled,
    filterName: null,
    description: disabled.description ?? '',
    schema: jsonSchema(disabled),
    example: buildDisabledNotice(
      { id: 'sub_9b1e4c7d2a', team: WATCH.team, channel: 'webhook', url: 'https://hooks.example.com/watchpost', description: 'release pipeline' },
      { reason: 'failing', failingSince: '2026-11-19T09:30:00.000Z', disabledAt: EXAMPLE_TIME, lastError: 'receiver answered 503' },
    ),
    renderings: null,
  };
  return [...events, notice];
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
}
