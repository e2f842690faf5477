import { z } from 'zod';
import { MAX_STALLED_AFTER_MINUTES } from '../domain/stall';
// Type-only: brings zod-openapi's .meta({ id }) typings into scope.
import type {} from 'zod-openapi';
import { AutoScientistRunRefSchema, CorrectionSessionRefSchema, DatasetRefSchema, notifyOnProblem, RESOURCE_TYPE_NAMES, ResourceRefSchema, TrackedFieldSchema } from '../domain/resource';
import { DIGEST_MINUTES } from '../domain/digest';
import { ATTENTION_ORDER } from '../domain/health';
import { isKnownTimeZone, LOCAL_TIME, WEEKDAYS } from '../domain/quiet-hours';
import { CHANNELS, FILTERABLE_EVENT_TYPES, GRADE_FILTERS } from '../domain/subscription';
import { MAX_CURSOR_LENGTH } from '../adapters/dynamo/cursor';

/**
 * The watch API's request and response shapes. Handlers validate with these
 * and the OpenAPI document is generated from them, so the two cannot drift.
 * Request schemas are strict: an unknown field is an error, not ignored.
 */
const NotifyOnSchema = z
  .array(TrackedFieldSchema)
  .min(1)
  .max(3)
  .refine((fields) => new Set(fields).size === fields.length, 'must not repeat a field')
  .meta({ description: 'Fields whose change sends a notification.', example: ['status', 'grade'] });

/** C0 and C1 controls, and the bidirectional overrides that make text display other than it reads. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const NO_CONTROL_CHARACTERS = 'must not contain control characters (line breaks, tabs, escapes, direction overrides)';

const LabelSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((label) => !CONTROL_CHARACTERS.test(label), NO_CONTROL_CHARACTERS)
  .meta({ description: 'A free-form name for the watch (at most 100 characters, no control characters).' });

const StalledAfterMinutesSchema = z
  .number()
  .int()
  .min(1)
  .max(MAX_STALLED_AFTER_MINUTES)
  .meta({
    description:
      'Whole minutes, 1 to 10080 (a week): when the resource has been in a running status with neither progress nor updated_at moving for this long, one resource.stalled is sent, and one resource.resumed when it moves again. Off (null) by default; there is no team-wide default.',
  });

export const Resource = ResourceRefSchema.meta({ id: 'Resource', description: 'What is watched: an Adaption Labs dataset, a DeepOpinion correction session, or an Adaption AutoScientist training run.' });

/** A run to watch: by its id, or as the newest run of a dataset (resolved once, at registration). */
const RunRequest = z
  .strictObject({
    type: z.literal('autoscientist_run'),
    runId: AutoScientistRunRefSchema.shape.runId.optional(),
    datasetId: DatasetRefSchema.shape.datasetId.optional().meta({ description: 'With `latest: true`: watch this dataset’s newest run (422 when it has none).' }),
    latest: z.literal(true).optional(),
  })
  .superRefine((run, ctx) => {
    if (run.runId !== undefined) {
      if (run.datasetId !== undefined || run.latest !== undefined) ctx.addIssue({ code: 'custom', path: ['runId'], message: 'give either runId, or datasetId with latest: true, not both' });
    } else if (run.datasetId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['runId'], message: 'give runId, or datasetId with latest: true' });
    } else if (run.latest !== true) {
      ctx.addIssue({ code: 'custom', path: ['latest'], message: 'must be true with datasetId: the dataset’s newest run is watched' });
    }
  });

export const ResourceRequest = z
  .discriminatedUnion('type', [DatasetRefSchema, CorrectionSessionRefSchema, RunRequest])
  .meta({
    id: 'ResourceRequest',
    description: 'What to watch: a dataset, a correction session, or a training run by `runId` (or by `datasetId` with `latest: true`: the dataset’s newest run).',
  });
export type ResourceRequestBody = z.infer<typeof ResourceRequest>;

export const CreateWatchBody = z
  .strictObject({ resource: ResourceRequest, notifyOn: NotifyOnSchema.optional(), label: LabelSchema.optional(), stalledAfterMinutes: StalledAfterMinutesSchema.nullable().optional() })
  .superRefine((body, ctx) => {
    const problem = notifyOnProblem(body.resource.type, body.notifyOn);
    if (problem) ctx.addIssue({ code: 'custom', path: ['notifyOn'], message: problem });
  })
  .meta({ id: 'CreateWatch' });

export const UpdateWatchBody = z
  .strictObject({ notifyOn: NotifyOnSchema.optional(), label: LabelSchema.nullable().optional(), paused: z.boolean().optional(), stalledAfterMinutes: StalledAfterMinutesSchema.nullable().optional() })
  .refine((body) => Object.keys(body).length > 0, 'give at least one of notifyOn, label, paused, stalledAfterMinutes')
  .meta({ id: 'UpdateWatch' });

export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Page size, 1 to 100.' }),
  cursor: z
    .string()
    .max(MAX_CURSOR_LENGTH)
    .optional()
    .meta({
      description:
        'The `nextCursor` of the previous page, exactly as given. Cursors are signed for the team and the list that issued them: one that was altered, belongs to another team or list, or is longer than any the API issues is a 400 naming `cursor`. A key rotation invalidates open cursors; start again from the first page.',
    }),
});

export const IdPath = z.object({ id: z.string().min(1).max(64) });
export const IdAndTokenPath = z.object({ id: z.string().min(1).max(64), tokenId: z.string().min(1).max(64) });

const SubscriptionFilter = z
  .strictObject({
    watchIds: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
    resourceTypes: z.array(z.enum(RESOURCE_TYPE_NAMES)).min(1).optional(),
    changes: z.array(TrackedFieldSchema).min(1).optional().meta({ description: 'Change events only: at least one of these fields changed.' }),
    statuses: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(20)
      .optional()
      .meta({ description: 'Change events only: the new status is one of these, e.g. ["succeeded", "failed", "cancelled", "FINISHED", "FAILED"] for outcomes (cancelled: AutoScientist runs), or ["awaiting_input"] for datasets that wait for their owner.' }),
    eventTypes: z.array(z.enum(FILTERABLE_EVENT_TYPES)).min(1).optional().meta({ description: 'Which event types, without the `io.watchpost.` prefix.' }),
    grade: z
      .enum(GRADE_FILTERS)
      .optional()
      .meta({ description: 'Change events only: the grade changed (`any`, a grade appearing included) or moved to a better (`improved`) or worse (`worsened`) letter; A is best.' }),
  })
  .meta({ id: 'SubscriptionFilter', description: 'Narrows which of the team’s events reach this subscription; every given field must match.' });

const SubscriptionDescription = z
  .string()
  .max(200)
  // The same rule as labels: both are shown in the console, mails and Slack messages.
  .refine((text) => !CONTROL_CHARACTERS.test(text), NO_CONTROL_CHARACTERS)
  .meta({ description: 'The team’s own note on what this subscription is for (≤ 200 characters, no control characters or direction overrides).' });

const LocalTime = z.string().regex(LOCAL_TIME, 'must be a local time HH:MM, 00:00 to 23:59');

export const QuietHoursSchema = z
  .strictObject({
    timeZone: z
      .string()
      .max(64)
      .refine(isKnownTimeZone, 'must be an IANA time zone, e.g. Europe/Vienna')
      .meta({ description: 'An IANA time zone: the window follows its daylight-saving changes.', example: 'Europe/Vienna' }),
    from: LocalTime.meta({ description: 'Local time the window starts, HH:MM.', example: '19:00' }),
    to: LocalTime.meta({ description: 'Local time it ends, HH:MM; not after `from` means the next day (a window across midnight).', example: '08:00' }),
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .max(7)
      .refine((days) => new Set(days).size === days.length, 'must not repeat a day')
      .optional()
      .meta({ description: 'The days a window starts on (`fri` with 19:00–08:00 runs into Saturday); every day when absent.' }),
    except: z
      .strictObject({
        eventTypes: z.array(z.enum(FILTERABLE_EVENT_TYPES)).min(1).optional().meta({ description: 'Event types delivered at once, e.g. ["watch.failing"].' }),
        statuses: z.array(z.string().min(1).max(64)).min(1).max(20).optional().meta({ description: 'Changes to these statuses are delivered at once, e.g. ["failed", "FAILED"].' }),
      })
      .optional()
      .meta({ description: 'What is urgent: delivered at once even in the window.' }),
  })
  .refine((quiet) => quiet.from !== quiet.to, { path: ['to'], message: 'must differ from `from`' })
  .meta({
    id: 'QuietHours',
    description:
      'Events in the window are held and delivered when it ends (each with its own id), except the urgent ones. The test event is never held. Not for email, which SNS delivers as each event is published.',
  });

export const DigestSchema = z
  .strictObject({
    everyMinutes: z
      .number()
      .int()
      .min(DIGEST_MINUTES.min)
      .max(DIGEST_MINUTES.max)
      .meta({ description: 'The period, 1 to 1440 minutes; periods are aligned to the clock (a 15-minute digest goes out at :00, :15, :30, :45 UTC).', example: 15 }),
  })
  .meta({
    id: 'Digest',
    description:
      'At most one message per period: Slack, Teams and Discord get one message listing the period’s events (grouped by watch, newest state last, “and N more” past 20); a webhook one POST of a CloudEvents batch (`application/cloudevents-batch+json`), signed as one Standard Webhooks message whose `webhook-id` derives from the events it carries. Never empty. Not for email.',
  });

/** On an email subscription: accepted by the schema only so that the answer can say why not (a 422). */
const NotForEmail = z.unknown().optional().meta({ description: 'Not for email: SNS delivers each email as the event is published; a 422 says so.' });

export const CreateSubscriptionBody = z
  .discriminatedUnion('channel', [
    z.strictObject({
      channel: z.literal('email'),
      address: z.email().max(254),
      filter: SubscriptionFilter.optional(),
      description: SubscriptionDescription.optional(),
      quietHours: NotForEmail,
      digest: NotForEmail,
    }),
    z.strictObject({
      channel: z.literal('slack'),
      url: z.string().max(2000).meta({ description: 'A Slack incoming-webhook URL: https://hooks.slack.com/services/…, on port 443.' }),
      filter: SubscriptionFilter.optional(),
      description: SubscriptionDescription.optional(),
      quietHours: QuietHoursSchema.optional(),
      digest: DigestSchema.optional(),
    }),
    z.strictObject({
      channel: z.literal('teams'),
      url: z
        .string()
        .max(2000)
        .meta({
          description:
            'The URL of a Teams Workflows “When a Teams webhook request is received” trigger that anyone may call (it carries `sig`): https://….environment.api.powerplatform.com/powerautomate/automations/direct/workflows/…/triggers/manual/paths/invoke?… or, from a Logic App, https://….logic.azure.com/workflows/…/triggers/manual/paths/invoke?…',
        }),
      filter: SubscriptionFilter.optional(),
      description: SubscriptionDescription.optional(),
      quietHours: QuietHoursSchema.optional(),
      digest: DigestSchema.optional(),
    }),
    z.strictObject({
      channel: z.literal('discord'),
      url: z.string().max(2000).meta({ description: 'A Discord channel webhook URL: https://discord.com/api/webhooks/{id}/{token}' }),
      filter: SubscriptionFilter.optional(),
      description: SubscriptionDescription.optional(),
      quietHours: QuietHoursSchema.optional(),
      digest: DigestSchema.optional(),
    }),
    z.strictObject({
      channel: z.literal('webhook'),
      url: z.string().max(2000).meta({ description: 'Any public https URL: private, loopback and link-local addresses and internal names (localhost, *.local, *.internal, …) are refused in any spelling (escapes, case, trailing dots), here and again at delivery. Deliveries are signed (Standard Webhooks).' }),
      filter: SubscriptionFilter.optional(),
      description: SubscriptionDescription.optional(),
      quietHours: QuietHoursSchema.optional(),
      digest: DigestSchema.optional(),
    }),
  ])
  .meta({ id: 'CreateSubscription' });

export const UpdateSubscriptionBody = z
  .strictObject({
    filter: SubscriptionFilter.nullable().optional().meta({ description: 'The new filter; null delivers every event of the team.' }),
    description: SubscriptionDescription.nullable().optional(),
    quietHours: QuietHoursSchema.nullable().optional().meta({ description: 'New quiet hours; null removes them. Not for email (a 422 says why).' }),
    digest: DigestSchema.nullable().optional().meta({ description: 'A new digest period; null sends each event on its own again. Not for email (a 422 says why).' }),
    paused: z
      .boolean()
      .optional()
      .meta({
        description:
          'A paused subscription receives nothing; events during the pause are not kept for later. `false` also turns a disabled webhook, Slack, Teams or Discord subscription back on (its run of failures starts afresh).',
      }),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one of filter, description, quietHours, digest, paused')
  .meta({ id: 'UpdateSubscription' });

/** A body that must be empty when given (e.g. `POST …/test`): a stray field is an error, not ignored. */
export const EmptyBody = z.strictObject({}).meta({ id: 'EmptyBody' });

export const CreateTeamBody = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes'),
  })
  .meta({ id: 'CreateTeam' });

// ---- responses ----

const Snapshot = z
  .object({
    status: z.string(),
    grade: z.string().nullable(),
    score: z.number().nullable(),
    progressPercent: z.number().nullable(),
    details: z.record(z.string(), z.unknown()),
    movedAt: z.string().optional().meta({ description: 'When Watchpost first saw this status, progress and updated_at (its own clock).' }),
    stalledSince: z.string().optional().meta({ description: 'Set while the resource is announced as stalled.' }),
  })
  .meta({ id: 'Snapshot' });

const ATTENTION = z.enum(ATTENTION_ORDER).meta({ description: 'How urgently it wants a person, most urgent first: critical, warning, notice, ok, idle. Lists sort by it, then by last change.' });

const WatchHealthView = z
  .object({
    state: z
      .string()
      .meta({
        description:
          'One display state: `gone`, `failing` (the upstream could not be read the threshold number of times in a row), `erroring` (fewer), `paused`, `baseline` (no check yet), or the resource’s own phase: `pending`, `running`, `awaiting_input`, `succeeded`, `failed`, `cancelled`, `ending`, `unknown` (a status Watchpost does not know yet; `label` shows it). New states may be added: treat an unknown one like `unknown`.',
      }),
    attention: ATTENTION,
    label: z.string().meta({ description: 'A short badge text, e.g. "failing ×12", "awaiting input".' }),
    failures: z.number().int().meta({ description: 'Failed checks in a row.' }),
    since: z.string().nullable().meta({ description: 'Failing or erroring: since when (the last error’s time when the run’s start is not kept).' }),
  })
  .meta({ id: 'WatchHealth' });

export const WatchView = z
  .object({
    id: z.string(),
    resource: Resource,
    notifyOn: z.array(TrackedFieldSchema),
    label: z.string().nullable(),
    paused: z.boolean(),
    stalledAfterMinutes: z.number().int().nullable(),
    state: z.enum(['active', 'gone']),
    current: Snapshot.nullable(),
    lastPolledAt: z.string().nullable(),
    lastError: z.object({ kind: z.string(), message: z.string(), at: z.string() }).nullable(),
    consecutiveFailures: z.number().int(),
    failingSince: z.string().nullable().meta({ description: 'When the current run of failed checks began; null while checks work.' }),
    lastChangeAt: z.string().nullable().meta({ description: 'When Watchpost last saw the resource change (the time of its last event); null before any.' }),
    health: WatchHealthView,
    createdAt: z.string(),
  })
  .meta({ id: 'Watch' });

export const WatchPage = z.object({ items: z.array(WatchView), nextCursor: z.string().nullable() }).meta({ id: 'WatchPage' });

export const EventView = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string(),
    source: z.string(),
    type: z.string(),
    subject: z.string(),
    time: z.string(),
    sequence: z.string(),
    datacontenttype: z.literal('application/json'),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Event', description: 'A CloudEvents 1.0 event (see the README for every type).' });

export const EventPage = z.object({ items: z.array(EventView), nextCursor: z.string().nullable() }).meta({ id: 'EventPage' });

const AttemptView = z
  .object({
    at: z.string(),
    eventId: z.string(),
    attempt: z.number().int(),
    result: z
      .enum(['delivered', 'failed', 'skipped'])
      .meta({ description: '`delivered` and `failed` as the channel reported it (a mail handed on is delivered with no status code); `skipped`: nothing was sent, since the subscription was paused, disabled or deleted when the attempt came due.' }),
    statusCode: z.number().int().nullable().meta({ description: 'The receiver’s HTTP status; null when there was none (email, a refused connection, a skip).' }),
    latencyMs: z.number(),
    error: z.string().nullable(),
    watchId: z.string().nullable().meta({ description: 'The watch the event came from; null for a test event (and attempts logged before this was kept).' }),
    summary: z.string().nullable().meta({ description: 'What the event said, as a sentence ("Run finished (running → succeeded): grade A → C").' }),
  })
  .meta({ id: 'DeliveryAttempt' });

export const AttemptOutcomeView = z
  .object({ ok: z.boolean(), statusCode: z.number().int().nullable(), latencyMs: z.number(), error: z.string().nullable() })
  .meta({ id: 'AttemptOutcome' });

export const RedeliverBody = z.strictObject({ eventId: z.string().min(1).max(100) }).meta({ id: 'Redeliver' });

export const SubscriptionView = z
  .object({
    id: z.string(),
    channel: z.enum(CHANNELS),
    address: z.string().optional(),
    url: z.string().optional(),
    filter: SubscriptionFilter.nullable(),
    quietHours: QuietHoursSchema.nullable(),
    digest: DigestSchema.nullable(),
    status: z.enum(['active', 'pending_confirmation', 'disabled']),
    description: z.string().nullable(),
    paused: z.boolean(),
    pausedAt: z.string().nullable().meta({ description: 'When it was paused; null when it is not.' }),
    disabledAt: z.string().nullable().meta({ description: 'When Watchpost stopped delivering to it (status `disabled`); null when it did not.' }),
    disabledReason: z
      .enum(['failing', 'gone'])
      .nullable()
      .meta({ description: '`failing`: every delivery failed for the service’s disable-after period (5 days by default); `gone`: the receiver answered 410. The team’s email subscriptions are told.' }),
    failingSince: z.string().nullable().meta({ description: 'Since when every delivery has failed; null after a success.' }),
    health: z
      .object({
        state: z.enum(['healthy', 'degraded', 'failing', 'paused', 'disabled', 'unconfirmed']),
        attention: ATTENTION,
        reason: z.string().nullable().meta({ description: 'Why, in a few words.' }),
      })
      .meta({
        id: 'SubscriptionHealth',
        description:
          '`disabled` and `paused` whatever the figures; `unconfirmed`: an email waiting for its recipient; `failing`: every delivery failed since `failingSince` and none got through in 24 h; `degraded`: a run of failures after some got through, or under 95% delivered in 24 h; else `healthy`.',
      }),
    last24h: z
      .object({
        since: z.string().meta({ description: 'The first hour counted: the figures cover the current hour and the 23 before it.' }),
        delivered: z.number().int(),
        failed: z.number().int(),
        successRate: z.number().nullable().meta({ description: 'delivered ÷ (delivered + failed), 0 to 1; null with no attempt. Skipped attempts (paused) count neither way.' }),
        latencyMs: z
          .object({
            timed: z.number().int().meta({ description: 'Attempts that reached the receiver (delivered, or answered with a status).' }),
            p50: z.number().nullable(),
            p95: z.number().nullable(),
          })
          .meta({ description: 'p50 and p95 as the upper edge of their histogram bin (10, 25, 50, 100, 250, 500 ms, 1, 2.5, 5, 10, 30 s); null with nothing timed or beyond 30 s.' }),
      })
      .meta({ id: 'DeliveryFigures', description: 'True counts over the last 24 hours, kept by the hour as attempts are made.' }),
    lastSuccessAt: z.string().nullable(),
    lastFailureAt: z.string().nullable(),
    previousSecretExpiresAt: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'Webhooks after a secret rotation: until then the old secret signs too (a past time: it no longer does); null before any rotation.' }),
    createdAt: z.string(),
    secret: z.string().optional().meta({ description: 'Webhook signing secret (`whsec_…`): present only in the creation response.' }),
    delivery: z
      .object({
        delivered: z.number().int(),
        failedAttempts: z.number().int(),
        lastSuccessAt: z.string().nullable(),
        lastFailureAt: z.string().nullable(),
        nextRetryAt: z.string().nullable().meta({ description: 'When the earliest scheduled retry of a failed delivery is due; null when none waits, and while the subscription is paused or disabled (a retry due then is skipped).' }),
        recentAttempts: z.array(AttemptView),
      })
      .optional()
      .meta({ description: 'Delivery counters and the last attempts (single-subscription reads only).' }),
  })
  .meta({ id: 'Subscription' });

export const SubscriptionPage = z.object({ items: z.array(SubscriptionView), nextCursor: z.string().nullable() }).meta({ id: 'SubscriptionPage' });

export const TeamCreated = z
  .object({
    team: z.object({ id: z.string(), name: z.string(), createdAt: z.string() }),
    token: z.string().meta({ description: 'The team’s API token. Shown once; only its hash is stored.' }),
  })
  .meta({ id: 'TeamCreated' });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

export const EventTypeCatalog = z
  .object({
    items: z.array(
      z.object({
        type: z.string().meta({ description: 'The CloudEvents `type`.' }),
        filterName: z.string().nullable().meta({ description: 'The name subscription filters use in `eventTypes`; null for the test event.' }),
        description: z.string(),
        schema: z.record(z.string(), z.unknown()).meta({ description: 'JSON Schema (draft 2020-12) of the whole CloudEvent.' }),
        example: z.record(z.string(), z.unknown()).meta({ description: 'An example event, built by the code that builds real ones.' }),
        renderings: z
          .object({
            slack: z.unknown().meta({ description: 'The Slack Block Kit message for the example.' }),
            teams: z.unknown().meta({ description: 'The Teams message: an Adaptive Card 1.5 attachment.' }),
            discord: z.unknown().meta({ description: 'The Discord execute-webhook body: one embed.' }),
          })
          .nullable()
          .meta({ description: 'What each chat channel posts for the example, rendered by the delivery code; null for notices (email only).' }),
      }),
    ),
  })
  .meta({ id: 'EventTypeCatalog' });

export const RotateSecretBody = z
  .strictObject({
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(86_400)
      .meta({ description: 'How long the old secret keeps signing beside the new one: 0 to 604800 (7 days); default 86400.' }),
  })
  .meta({ id: 'RotateSecret' });

export const RotatedSecretView = z
  .object({
    secret: z.string().meta({ description: 'The new `whsec_` signing secret: shown this once.' }),
    previousSecretExpiresAt: z.string().meta({ description: 'Until then deliveries carry a signature with the old secret too.' }),
  })
  .meta({ id: 'RotatedSecret' });

export const CreateTokenBody = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\w .:-]+$/, 'letters, digits, spaces and . _ : - only')
      .meta({ description: 'What the token is for, e.g. "ci" or "rotation 2026-11".' }),
    expiresInDays: z.number().int().min(1).max(3650).optional().meta({ description: 'After this many days the token stops working; none: it does not expire.' }),
  })
  .meta({ id: 'CreateToken' });

export const TokenView = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().meta({ description: 'Recorded at most once an hour.' }),
  })
  .meta({ id: 'Token' });

export const TokenCreated = TokenView.extend({ token: z.string().meta({ description: 'The token (`wpt_…`): shown this once, stored only as a hash.' }) }).meta({ id: 'TokenCreated' });
export const TokenList = z.object({ items: z.array(TokenView) }).meta({ id: 'TokenList' });
export const TeamList = z.object({ items: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.string() })) }).meta({ id: 'TeamList' });
