// Stryker disable StringLiteral: the strings here are descriptions for readers of the OpenAPI document.
import { z } from 'zod';
import { EVENT_TYPES } from './events';
import { NOTICE_TYPES } from './subscription-notice';
import { CHANNELS } from './subscription';
import { ResourceRefSchema, TrackedFieldSchema } from './resource';

/**
 * The CloudEvents Watchpost sends, as zod schemas: the webhooks section of
 * the OpenAPI document is generated from these, the delivery consumer
 * validates queue messages with them, and a test holds every event the
 * builder makes to them, so the description cannot drift from the payload.
 */
export const SnapshotSchema = z
  .object({
    status: z.string().meta({ description: 'The provider’s status, as it sent it (cut to 64 characters).' }),
    grade: z.string().nullable().meta({ description: 'Datasets: the evaluation’s grade_after, A (best) to E; null before an evaluation.' }),
    score: z.number().nullable().meta({ description: 'The resource’s figure: a dataset’s score_after, a session’s predicted_score, a run’s best_win_rate (tracked as winRate).' }),
    progressPercent: z.number().nullable(),
    details: z.record(z.string(), z.unknown()).meta({ description: 'Provider context (name, run id, error message, evaluation summary…); strings cut to 256 characters.' }),
    movedAt: z.string().optional().meta({ description: 'When Watchpost first saw this status, progress and updated_at (its own clock): stalls are counted from here.' }),
    stalledSince: z.string().optional().meta({ description: 'Set while a resource.stalled has been sent and no resource.resumed yet.' }),
  })
  .meta({ id: 'ResourceSnapshot' });

export const FieldChangeSchema = z
  .object({ field: TrackedFieldSchema, from: z.union([z.string(), z.number()]).nullable(), to: z.union([z.string(), z.number()]).nullable() })
  .meta({ id: 'FieldChange' });

const EventDataSchema = z.object({
  watchId: z.string(),
  team: z.string(),
  label: z.string().nullable(),
  resource: ResourceRefSchema,
  changes: z.array(FieldChangeSchema).meta({ description: 'What changed; empty for every type but resource.changed.' }),
  previous: SnapshotSchema.nullable(),
  current: SnapshotSchema.nullable(),
  failure: z.object({ kind: z.string(), message: z.string(), consecutiveFailures: z.number().int() }).optional(),
  stall: z
    .object({
      thresholdMinutes: z.number().int().nullable().meta({ description: 'The watch’s stalledAfterMinutes when the event was decided; null if it has been turned off since the stall began.' }),
      lastMovedAt: z.string().meta({ description: 'When Watchpost last saw the resource move (status, progress or updated_at), on its own clock.' }),
      minutesWithoutMotion: z.number().int().meta({ description: 'Whole minutes it stood still: until this event.' }),
      lastProgressPercent: z.number().nullable().meta({ description: 'The progress it stood still at; null when the provider reports none.' }),
      resumedStatus: z.string().optional().meta({ description: 'resource.resumed only: the status it moved on to (running again, or an outcome).' }),
    })
    .optional()
    .meta({ description: 'resource.stalled and resource.resumed only.' }),
});

function cloudEvent<T extends string>(type: T, description: string) {
  return z
    .object({
      specversion: z.literal('1.0'),
      id: z.string().regex(/^evt_[0-9a-z_]+$/).meta({
        description:
          'Names the transition: derived from the watch, its version, the event type, each change (field, from, to), the status and run id before and after, and the failure kind. The same transition always has the same id and two transitions never share one: deduplicate on it (it is also the webhook-id header). Test events get a fresh evt_test_ id per send.',
      }),
      source: z.string(),
      type: z.literal(type),
      subject: z.string().meta({ description: 'The resource’s path at its provider, e.g. datasets/ds_42.' }),
      time: z.string(),
      sequence: z.string().meta({ description: 'The watch’s version at this event: orders one watch’s events.' }),
      datacontenttype: z.literal('application/json'),
      data: EventDataSchema,
    })
    .meta({ id: type.replace(/^io\.watchpost\./, '').replace(/(^|[._])(\w)/g, (_, __, c: string) => c.toUpperCase()) + 'Event', description });
}

/** One schema per event type, with what it means. */
export const EVENT_SCHEMAS = {
  [EVENT_TYPES.changed]: cloudEvent(EVENT_TYPES.changed, 'A field the watch tracks (notifyOn) changed: status, grade, score, or a run’s winRate.'),
  [EVENT_TYPES.gone]: cloudEvent(EVENT_TYPES.gone, 'The resource no longer exists upstream (404); the watch stops polling it.'),
  [EVENT_TYPES.stalled]: cloudEvent(
    EVENT_TYPES.stalled,
    'The resource has been in a running status (dataset running; session STARTED, SAMPLING, PREDICTING, ANNOTATING) with neither its progress nor its updated_at moving for the watch’s stalledAfterMinutes; `data.stall` says how long and at what progress. Sent once per stall.',
  ),
  [EVENT_TYPES.resumed]: cloudEvent(EVENT_TYPES.resumed, 'A stalled resource moved again: progress, updated_at or status (an outcome included); `data.stall` says how long it stood still.'),
  [EVENT_TYPES.failing]: cloudEvent(EVENT_TYPES.failing, 'Polling the resource failed N times in a row; `data.failure` says why.'),
  [EVENT_TYPES.recovered]: cloudEvent(EVENT_TYPES.recovered, 'Polling works again after a watch.failing.'),
  [EVENT_TYPES.test]: cloudEvent(EVENT_TYPES.test, 'Sent by POST /v1/subscriptions/{id}/test.'),
} as const;

export const WatchEventSchema = z.discriminatedUnion('type', Object.values(EVENT_SCHEMAS) as unknown as [ReturnType<typeof cloudEvent>, ...ReturnType<typeof cloudEvent>[]]);

/** Notices about a team's subscriptions: sent to its email subscriptions only, whatever their filters. */
export const NOTICE_SCHEMAS = {
  [NOTICE_TYPES.subscriptionDisabled]: z
    .object({
      specversion: z.literal('1.0'),
      id: z.string().regex(/^evt_[0-9a-f]{32}$/),
      source: z.string(),
      type: z.literal(NOTICE_TYPES.subscriptionDisabled),
      subject: z.string().meta({ description: 'subscriptions/{id}' }),
      time: z.string(),
      datacontenttype: z.literal('application/json'),
      data: z.object({
        team: z.string(),
        subscriptionId: z.string(),
        channel: z.enum(CHANNELS),
        target: z.string().meta({ description: 'The receiver’s host (or `Slack`, `Microsoft Teams`, `Discord`): never its path or query, which may hold a token.' }),
        description: z.string().nullable(),
        reason: z.enum(['failing', 'gone']),
        failingSince: z.string().nullable(),
        disabledAt: z.string(),
        lastError: z.string().nullable(),
      }),
    })
    .meta({
      id: 'SubscriptionDisabledNotice',
      description:
        'Watchpost stopped delivering to a webhook or Slack subscription: every delivery failed for the disable-after period (5 days by default), or the receiver answered 410. Sent to the team’s email subscriptions only, whatever their filters; `PATCH /v1/subscriptions/{id} {"paused": false}` turns it back on.',
    }),
} as const;
