import type { z } from 'zod';
import { TeamExistsError } from '../adapters/dynamo/team-store';
import type { Subscription } from '../adapters/dynamo/subscription-store';
import { AutoScientistRunRefSchema, notifyOnProblem, PROVIDERS, providerOf, type ResourceRef, type ResourceType } from '../domain/resource';
import { trackMotion } from '../domain/stall';
import { emailFilterProblem, isDeliverable, secretContext } from '../domain/subscription';
import { refuseSubscriptionUrl } from '../domain/url-policy';
import { createWatch, watchIdFor } from '../domain/watch';
import { newId, newTeamToken, newWebhookSecret, sha256Hex } from './auth';
import { Deadline, DEADLINE_PASSED } from './deadline';
import type { ApiDeps } from './deps';
import { json, noContent, problems, type ApiResponse } from './http';
import * as S from './schemas';
import { subscriptionView, watchView } from './views';

/** Why email takes no quiet hours or digest: SNS sends each mail as the event is published, so nothing could hold it. */
const EMAIL_IS_IMMEDIATE =
  'email is delivered by SNS as each event is published, so it cannot be held or batched; use a Slack, Teams, Discord or webhook subscription for quiet hours and digests';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * The resource a registration names: as given, or for a run asked for by
 * its dataset (`latest: true`), that dataset's newest run, found once, now,
 * through the runs list's dataset_id filter; the watch then follows that run.
 */
async function resolveResource(deps: ApiDeps, requested: S.ResourceRequestBody): Promise<ResourceRef> {
  if (requested.type !== 'autoscientist_run') return requested;
  if (requested.runId !== undefined) return { type: 'autoscientist_run', runId: requested.runId };
  const datasetId = requested.datasetId ?? '';
  const latest = await deps.fetcher.latestRunOf(datasetId);
  if (!latest.ok) {
    deps.logger.warn('could not find the newest run of a dataset', { datasetId, kind: latest.error.kind, error: latest.error.message });
    throw problems.upstreamUnavailable(`The upstream could not be reached (${latest.error.kind}); try again shortly.`);
  }
  if (latest.runId === undefined) throw problems.unprocessable('resource.datasetId', `Dataset ${datasetId} has no AutoScientist run to watch.`);
  const resource = { type: 'autoscientist_run' as const, runId: latest.runId };
  // The id came from upstream: it meets the same rules as one a team gives before it is stored or put in a URL.
  if (!AutoScientistRunRefSchema.safeParse(resource).success) {
    deps.logger.error('the newest run of a dataset has an id Watchpost cannot use', { datasetId, runId: latest.runId.slice(0, 80) });
    throw problems.upstreamUnavailable('The upstream answered with a run id that cannot be watched; try again shortly.');
  }
  return resource;
}

export interface RouteContext {
  deps: ApiDeps;
  /** The authenticated team (empty for public and admin routes). */
  team: string;
  params: { id?: string; tokenId?: string };
  body: unknown;
  query: Record<string, unknown>;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

/** One route: what it accepts, who may call it, what it answers (for OpenAPI too). */
export interface Route {
  method: Method;
  path: string;
  /** The OpenAPI operationId: what generated clients call the operation. */
  operationId: string;
  auth: 'none' | 'team' | 'admin';
  summary: string;
  body?: z.ZodType;
  /** The body may be left out; when sent, it must match `body`. */
  bodyOptional?: boolean;
  query?: z.ZodObject;
  responses: Record<number, ResponseSpec>;
  handle(context: RouteContext): Promise<ApiResponse>;
}

const ok = (description: string, schema?: z.ZodType): ResponseSpec => (schema ? { description, schema } : { description });

export const ROUTES: Route[] = [
  {
    method: 'GET',
    path: '/healthz',
    operationId: 'getHealth',
    auth: 'none',
    summary: 'Liveness check',
    responses: { 200: ok('The API is up.') },
    handle: async () => json(200, { status: 'ok' }),
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    auth: 'none',
    summary: 'This API’s OpenAPI 3.1 description',
    responses: { 200: ok('The OpenAPI document.') },
    // Resolved lazily to avoid a cycle: the document is generated from this table.
    handle: async () => json(200, (await import('./openapi')).openApiDocument()),
  },
  {
    method: 'GET',
    path: '/v1/event-types',
    operationId: 'listEventTypes',
    auth: 'none',
    summary: 'Every event type a subscription can receive: what it means, its JSON Schema and an example',
    responses: { 200: ok('The event catalog.', S.EventTypeCatalog) },
    handle: async () => json(200, { items: (await import('../domain/event-catalog')).EVENT_CATALOG }),
  },
  {
    method: 'POST',
    path: '/v1/admin/teams',
    operationId: 'createTeam',
    auth: 'admin',
    summary: 'Create a team and its API token (operators only)',
    body: S.CreateTeamBody,
    responses: { 201: ok('The team and its token, shown this once.', S.TeamCreated), 409: ok('A team of that name exists.') },
    handle: async ({ deps, body }) => {
      const { name } = body as z.infer<typeof S.CreateTeamBody>;
      const token = newTeamToken();
      const team = { id: name, name, createdAt: deps.now().toISOString() };
      try {
        await deps.teams.createTeam(team, sha256Hex(token), { id: newId('tok'), expiresAt: null });
      } catch (error) {
        if (error instanceof TeamExistsError) throw problems.conflict(error.message);
        throw error;
      }
      deps.logger.info('team created', { team: team.id });
      return json(201, { team, token });
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/teams',
    operationId: 'listTeams',
    auth: 'admin',
    summary: 'Every team (operators only)',
    responses: { 200: ok('The teams.', S.TeamList) },
    handle: async ({ deps }) => json(200, { items: await deps.teams.listTeams() }),
  },
  {
    method: 'POST',
    path: '/v1/admin/teams/{id}/tokens',
    operationId: 'createTeamToken',
    auth: 'admin',
    summary: 'Give a team another token (operators only), e.g. to replace a lost one',
    body: S.CreateTokenBody,
    responses: { 201: ok('The token, shown this once.', S.TokenCreated), 404: ok('No such team.') },
    handle: async ({ deps, params, body }) => {
      if (!params.id || !(await deps.teams.getTeam(params.id))) throw problems.notFound('team');
      return json(201, await createToken(deps, params.id, body as z.infer<typeof S.CreateTokenBody>));
    },
  },
  {
    method: 'GET',
    path: '/v1/admin/teams/{id}/tokens',
    operationId: 'listTeamTokens',
    auth: 'admin',
    summary: 'A team’s tokens, never the tokens themselves (operators only)',
    responses: { 200: ok('The tokens.', S.TokenList), 404: ok('No such team.') },
    handle: async ({ deps, params }) => {
      if (!params.id || !(await deps.teams.getTeam(params.id))) throw problems.notFound('team');
      return json(200, { items: await deps.teams.listTokens(params.id) });
    },
  },
  {
    method: 'DELETE',
    path: '/v1/admin/teams/{id}/tokens/{tokenId}',
    operationId: 'deleteTeamToken',
    auth: 'admin',
    summary: 'Revoke one of a team’s tokens (operators only)',
    responses: { 204: ok('Revoked: it stops working within 60 s everywhere.'), 404: ok('No such team or token.') },
    handle: async ({ deps, params }) => revokeToken(deps, params.id ?? '', params.tokenId, 'operator'),
  },
  {
    method: 'POST',
    path: '/v1/tokens',
    operationId: 'createToken',
    auth: 'team',
    summary: 'Create another token for this team (to rotate: create the new one, switch, then revoke the old)',
    body: S.CreateTokenBody,
    responses: { 201: ok('The token, shown this once.', S.TokenCreated) },
    handle: async ({ deps, team, body }) => json(201, await createToken(deps, team, body as z.infer<typeof S.CreateTokenBody>)),
  },
  {
    method: 'GET',
    path: '/v1/tokens',
    operationId: 'listTokens',
    auth: 'team',
    summary: 'This team’s tokens, never the tokens themselves',
    responses: { 200: ok('The tokens.', S.TokenList) },
    handle: async ({ deps, team }) => json(200, { items: await deps.teams.listTokens(team) }),
  },
  {
    method: 'DELETE',
    path: '/v1/tokens/{id}',
    operationId: 'deleteToken',
    auth: 'team',
    summary: 'Revoke one of this team’s tokens',
    responses: { 204: ok('Revoked: it stops working within 60 s everywhere.'), 404: ok('The team has no such token.') },
    handle: async ({ deps, team, params }) => revokeToken(deps, team, params.id, 'team'),
  },
  {
    method: 'POST',
    path: '/v1/watches',
    operationId: 'createWatch',
    auth: 'team',
    summary: 'Watch a dataset or correction session (idempotent per resource)',
    body: S.CreateWatchBody,
    responses: {
      200: ok('The team already watches this resource: the existing watch.', S.WatchView),
      201: ok('Created, with the resource’s current state as baseline.', S.WatchView),
      409: ok('The team has reached its watch limit.'),
      422: ok('The resource does not exist upstream.'),
      501: ok('This installation has no credentials for that resource type’s upstream (not retryable).'),
      503: ok('The upstream could not be reached, or did not answer within the registration deadline; retry after `Retry-After` seconds.'),
    },
    handle: async ({ deps, team, body }) => {
      const request = body as z.infer<typeof S.CreateWatchBody>;
      const upstreamMissing = async (type: ResourceType) => {
        if (await deps.upstreamConfigured(type)) return;
        const { name: provider, settings } = PROVIDERS[providerOf(type)];
        throw problems.upstreamNotConfigured(`This Watchpost has no ${provider} credentials, so it cannot watch a ${type}: an operator sets ${settings} ${deps.credentialsHint}.`);
      };
      if (request.resource.type === 'autoscientist_run' && request.resource.runId === undefined) await upstreamMissing(request.resource.type);
      const input = { ...request, resource: await resolveResource(deps, request.resource) };
      const existing = await deps.watches.findByResource(team, input.resource);
      if (existing) return json(200, watchView(existing));
      // Every upstream step (credentials, the fetch and its retries) shares one budget inside the function's timeout.
      const upstream = new Deadline(deps.upstreamDeadlineMs);
      const outOfTime = () => {
        deps.logger.warn('watch registration ran out of its upstream deadline', { team, type: input.resource.type, deadlineMs: upstream.ms });
        return problems.upstreamUnavailable(`The upstream did not answer within ${upstream.ms / 1000} s; try again shortly.`);
      };
      const configured = await upstream.race(deps.upstreamConfigured(input.resource.type));
      if (configured === DEADLINE_PASSED) throw outOfTime();
      if (!configured) {
        const { name: provider, settings } = PROVIDERS[providerOf(input.resource.type)];
        throw problems.upstreamNotConfigured(`This Watchpost has no ${provider} credentials, so it cannot watch a ${input.resource.type}: an operator sets ${settings} ${deps.credentialsHint}.`);
      }
      // The quota is taken before anything is created and given back unless a watch was.
      if (!(await deps.quota.reserve(team, 'watches', deps.limits.watchesPerTeam, deps.now()))) {
        // A racing registration of the same resource may hold the last unit: that is a 200, not a 409.
        const raced = await deps.watches.findByResource(team, input.resource);
        if (raced) return json(200, watchView(raced));
        throw problems.conflict(`This team has reached its limit of ${deps.limits.watchesPerTeam} watches; delete one first.`);
      }
      let created = false;
      try {
        const fetched = await upstream.race(deps.fetcher.fetchState(input.resource, { signal: upstream.signal }));
        if (fetched === DEADLINE_PASSED) throw outOfTime();
        if (fetched.outcome === 'gone') throw problems.unprocessable('resource', 'The resource was not found upstream.');
        if (fetched.outcome === 'failed') {
          deps.logger.warn('watch registration could not reach the upstream', { team, kind: fetched.error.kind, error: fetched.error.message });
          throw problems.upstreamUnavailable(`The upstream could not be reached (${fetched.error.kind}); try again shortly.`);
        }
        const now = deps.now();
        const watch = {
          ...createWatch({ watchId: watchIdFor(team, input.resource), team, resource: input.resource, notifyOn: input.notifyOn, label: input.label, stalledAfterMinutes: input.stalledAfterMinutes }, now),
          // Stalls are counted from here until a poll sees it move.
          snapshot: input.stalledAfterMinutes ? trackMotion(null, fetched.snapshot, now) : fetched.snapshot,
          lastPolledAt: now.toISOString(),
        };
        const registered = await deps.watches.registerWatch(watch);
        created = registered.created;
        return json(registered.created ? 201 : 200, watchView(registered.watch));
      } finally {
        if (!created) await deps.quota.release(team, 'watches', deps.now());
      }
    },
  },
  {
    method: 'GET',
    path: '/v1/watches',
    operationId: 'listWatches',
    auth: 'team',
    summary: 'List the team’s watches',
    query: S.ListQuery,
    responses: { 200: ok('A page of watches.', S.WatchPage) },
    handle: async ({ deps, team, query }) => {
      const { limit, cursor } = query as z.infer<typeof S.ListQuery>;
      const scope = { team, list: 'watches' };
      const page = await deps.watches.listByTeam(team, limit, await deps.cursors.verify(cursor, scope));
      return json(200, { items: page.items.map(watchView), nextCursor: await deps.cursors.sign(page.nextCursor, scope) });
    },
  },
  {
    method: 'GET',
    path: '/v1/watches/{id}',
    operationId: 'getWatch',
    auth: 'team',
    summary: 'One watch with its current state, last poll time and last error',
    responses: { 200: ok('The watch.', S.WatchView), 404: ok('The team has no such watch.') },
    handle: async ({ deps, team, params }) => json(200, watchView(await ownWatch(deps, team, params.id))),
  },
  {
    method: 'PATCH',
    path: '/v1/watches/{id}',
    operationId: 'updateWatch',
    auth: 'team',
    summary: 'Change what a watch notifies on, its label, or pause it',
    body: S.UpdateWatchBody,
    responses: { 200: ok('The updated watch.', S.WatchView), 404: ok('The team has no such watch.') },
    handle: async ({ deps, team, params, body }) => {
      const settings = body as z.infer<typeof S.UpdateWatchBody>;
      const current = await ownWatch(deps, team, params.id);
      const problem = notifyOnProblem(current.resource.type, settings.notifyOn);
      if (problem) throw problems.validation([{ path: 'notifyOn', message: problem }]);
      const updated = await deps.watches.updateSettings(team, current.watchId, settings);
      if (!updated) throw problems.notFound('watch');
      return json(200, watchView(updated));
    },
  },
  {
    method: 'DELETE',
    path: '/v1/watches/{id}',
    operationId: 'deleteWatch',
    auth: 'team',
    summary: 'Stop watching',
    responses: { 204: ok('Deleted.'), 404: ok('The team has no such watch.') },
    handle: async ({ deps, team, params }) => {
      const now = deps.now();
      // Marked first, so a quota repair never counts this watch gone before it is released.
      await deps.quota.touch(team, 'watches', now);
      if (!(await deps.watches.deleteWatch(team, params.id ?? '', now))) throw problems.notFound('watch');
      await deps.quota.release(team, 'watches', now);
      return noContent();
    },
  },
  {
    method: 'GET',
    path: '/v1/watches/{id}/events',
    operationId: 'listWatchEvents',
    auth: 'team',
    summary: 'The watch’s recent events, newest first (kept 90 days)',
    query: S.ListQuery,
    responses: { 200: ok('A page of CloudEvents.', S.EventPage), 404: ok('The team has no such watch.') },
    handle: async ({ deps, team, params, query }) => {
      const watch = await ownWatch(deps, team, params.id);
      const { limit, cursor } = query as z.infer<typeof S.ListQuery>;
      const scope = { team, list: `watches/${watch.watchId}/events` };
      const page = await deps.watches.listEvents(watch.watchId, limit, await deps.cursors.verify(cursor, scope));
      return json(200, { items: page.items, nextCursor: await deps.cursors.sign(page.nextCursor, scope) });
    },
  },
  {
    method: 'POST',
    path: '/v1/subscriptions',
    operationId: 'createSubscription',
    auth: 'team',
    summary: 'Subscribe an email address, a Slack, Microsoft Teams or Discord channel, or a webhook to the team’s events',
    body: S.CreateSubscriptionBody,
    responses: {
      201: ok('Created. A webhook subscription carries its signing secret, this once.', S.SubscriptionView),
      409: ok('The team has reached its subscription limit.'),
      422: ok('A receiver URL Watchpost will not post to (not the channel’s own form, not https, not public), or an email filter SNS could not hold; `errors[].path` names the field.'),
    },
    handle: async ({ deps, team, body }) => {
      const input = body as z.infer<typeof S.CreateSubscriptionBody>;
      if (input.channel !== 'email') {
        const refusal = refuseSubscriptionUrl(input.url, input.channel, { allowLoopback: deps.allowPrivateWebhooks || (deps.testReceivers?.(input.url) ?? false) });
        if (refusal) {
          // A laptop's own receiver is refused for a reason its user can change: say how.
          const local = deps.privateWebhooksHint && /^https?:\/\/(localhost|127\.|\[::1\])/i.test(input.url);
          // Well-formed JSON whose URL Watchpost will not post to: 422, naming the field.
          throw problems.unprocessable('url', local ? `${refusal}; ${deps.privateWebhooksHint}` : refusal);
        }
      } else {
        if (input.quietHours !== undefined) throw problems.unprocessable('quietHours', EMAIL_IS_IMMEDIATE);
        if (input.digest !== undefined) throw problems.unprocessable('digest', EMAIL_IS_IMMEDIATE);
        // SNS evaluates email filters itself, within its limits: refuse what it would refuse, before anything is stored.
        const tooComplex = emailFilterProblem({ team, filter: input.filter ?? null });
        if (tooComplex) throw problems.unprocessable(tooComplex.path, tooComplex.message);
      }
      if (!(await deps.quota.reserve(team, 'subscriptions', deps.limits.subscriptionsPerTeam, deps.now()))) {
        throw problems.conflict(`This team has reached its limit of ${deps.limits.subscriptionsPerTeam} subscriptions; delete one first.`);
      }
      const subscription: Subscription = {
        id: newId('sub'),
        team,
        channel: input.channel,
        address: input.channel === 'email' ? input.address : undefined,
        url: input.channel === 'email' ? undefined : input.url,
        filter: input.filter ?? null,
        description: input.description ?? null,
        ...(input.channel !== 'email' && input.quietHours ? { quietHours: input.quietHours } : {}),
        ...(input.channel !== 'email' && input.digest ? { digest: input.digest } : {}),
        // Email waits for the recipient to confirm with SNS.
        status: input.channel === 'email' ? 'pending_confirmation' : 'active',
        createdAt: deps.now().toISOString(),
      };
      // The plaintext is answered this once; only its sealed form is stored.
      const secret = input.channel === 'webhook' ? newWebhookSecret() : undefined;
      if (secret) subscription.secret = await deps.secrets.seal(secret, secretContext(subscription));
      let stored = false;
      try {
        await deps.subscriptions.put(subscription);
        stored = true;
        if (subscription.channel === 'email') {
          try {
            const { status, snsSubscriptionArn } = await deps.emails.subscribe(subscription);
            await deps.subscriptions.setStatus(team, subscription.id, status, snsSubscriptionArn ? { snsSubscriptionArn } : {});
            subscription.status = status;
          } catch (error) {
            await deps.subscriptions.delete(team, subscription.id);
            stored = false;
            deps.logger.error('email subscription failed', { team, error: error instanceof Error ? error.message : String(error) });
            throw problems.upstreamUnavailable('The email subscription could not be created; try again shortly.');
          }
        }
      } finally {
        if (!stored) await deps.quota.release(team, 'subscriptions', deps.now());
      }
      return json(201, { ...subscriptionView(subscription, deps.now()), ...(secret ? { secret } : {}) });
    },
  },
  {
    method: 'GET',
    path: '/v1/subscriptions',
    operationId: 'listSubscriptions',
    auth: 'team',
    summary: 'List the team’s subscriptions, each with its health and last 24 h figures (what a list of them needs, in one request)',
    query: S.ListQuery,
    responses: { 200: ok('A page of subscriptions.', S.SubscriptionPage) },
    handle: async ({ deps, team, query }) => {
      const { limit, cursor } = query as z.infer<typeof S.ListQuery>;
      const scope = { team, list: 'subscriptions' };
      const page = await deps.subscriptions.list(team, limit, await deps.cursors.verify(cursor, scope));
      return json(200, { items: page.items.map((item) => subscriptionView(item, deps.now())), nextCursor: await deps.cursors.sign(page.nextCursor, scope) });
    },
  },
  {
    method: 'GET',
    path: '/v1/subscriptions/{id}',
    operationId: 'getSubscription',
    auth: 'team',
    summary: 'One subscription',
    responses: { 200: ok('The subscription with its delivery record (never its secret).', S.SubscriptionView), 404: ok('The team has no such subscription.') },
    handle: async ({ deps, team, params }) => {
      const subscription = await ownSubscription(deps, team, params.id);
      if (subscription.channel === 'email' && subscription.status === 'pending_confirmation') {
        const status = await deps.emails.refresh(subscription);
        if (status !== subscription.status) {
          await deps.subscriptions.setStatus(team, subscription.id, status);
          subscription.status = status;
        }
      }
      // A paused or disabled subscription retries nothing: a retry that comes due is skipped, so none is shown.
      const retries = isDeliverable(subscription);
      const [recentAttempts, nextRetryAt] = await Promise.all([deps.deliveries.recentAttempts(subscription.id), retries ? deps.deliveries.nextRetryAt(subscription.id) : null]);
      return json(200, {
        ...subscriptionView(subscription, deps.now()),
        delivery: {
          delivered: subscription.deliveredCount ?? 0,
          failedAttempts: subscription.failedCount ?? 0,
          lastSuccessAt: subscription.lastSuccessAt ?? null,
          lastFailureAt: subscription.lastFailureAt ?? null,
          nextRetryAt,
          recentAttempts,
        },
      });
    },
  },
  {
    method: 'PATCH',
    path: '/v1/subscriptions/{id}',
    operationId: 'updateSubscription',
    auth: 'team',
    summary: 'Change a subscription’s filter, description, quiet hours or digest, pause and resume it, or turn a disabled one back on',
    body: S.UpdateSubscriptionBody,
    responses: {
      200: ok('The subscription as it is now.', S.SubscriptionView),
      404: ok('The team has no such subscription.'),
      422: ok('An email filter SNS could not hold, or quiet hours or a digest on email.'),
    },
    handle: async ({ deps, team, params, body }) => {
      const input = body as z.infer<typeof S.UpdateSubscriptionBody>;
      const current = await ownSubscription(deps, team, params.id);
      const pausedAt = input.paused === undefined ? undefined : input.paused ? (current.pausedAt ?? deps.now().toISOString()) : null;
      if (current.channel === 'email' && input.quietHours) throw problems.unprocessable('quietHours', EMAIL_IS_IMMEDIATE);
      if (current.channel === 'email' && input.digest) throw problems.unprocessable('digest', EMAIL_IS_IMMEDIATE);
      const next: Subscription = {
        ...current,
        ...(input.filter !== undefined ? { filter: input.filter } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(pausedAt !== undefined ? { pausedAt } : {}),
      };
      if (next.channel === 'email') {
        if (input.filter !== undefined) {
          const tooComplex = emailFilterProblem({ team, filter: next.filter });
          if (tooComplex) throw problems.unprocessable(tooComplex.path, tooComplex.message);
        }
        // SNS first: if it fails, nothing changed and the PATCH can be repeated; the store follows what SNS holds.
        if (input.filter !== undefined || pausedAt !== undefined) {
          try {
            await deps.emails.updateFilter(next);
          } catch (error) {
            deps.logger.error('email filter update failed', { team, subscriptionId: current.id, error: error instanceof Error ? error.message : String(error) });
            throw problems.upstreamUnavailable('The email subscription could not be changed; try again shortly.');
          }
        }
      }
      const stored = await deps.subscriptions.update(team, current.id, {
        ...(input.filter !== undefined ? { filter: input.filter } : {}),
        ...(input.quietHours !== undefined ? { quietHours: input.quietHours } : {}),
        ...(input.digest !== undefined ? { digest: input.digest } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(pausedAt !== undefined ? { pausedAt } : {}),
      });
      if (!stored) throw problems.notFound('subscription');
      if (input.paused === false && stored.status === 'disabled') {
        // Resuming a subscription Watchpost disabled is the team saying the receiver works again.
        const enabled = await deps.subscriptions.enable(team, current.id);
        return json(200, subscriptionView(enabled ?? (await ownSubscription(deps, team, current.id)), deps.now()));
      }
      return json(200, subscriptionView(stored, deps.now()));
    },
  },
  {
    method: 'DELETE',
    path: '/v1/subscriptions/{id}',
    operationId: 'deleteSubscription',
    auth: 'team',
    summary: 'Delete a subscription',
    responses: { 204: ok('Deleted.'), 404: ok('The team has no such subscription.') },
    handle: async ({ deps, team, params }) => {
      const subscription = await ownSubscription(deps, team, params.id);
      // SNS first: if it fails, the subscription stays visible and DELETE can be retried;
      // the other way round, a failure would leave mail going to a team that believes it gone.
      if (subscription.channel === 'email') await deps.emails.unsubscribe(subscription);
      const now = deps.now();
      await deps.quota.touch(team, 'subscriptions', now);
      if (await deps.subscriptions.delete(team, subscription.id)) await deps.quota.release(team, 'subscriptions', now);
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/v1/subscriptions/{id}/test',
    operationId: 'sendTestEvent',
    auth: 'team',
    summary: 'Send a test event to a Slack, Teams, Discord or (signed) webhook subscription now',
    body: S.EmptyBody,
    bodyOptional: true,
    responses: { 200: ok('What the receiver answered.', S.AttemptOutcomeView), 404: ok('The team has no such subscription.'), 422: ok('This channel cannot be tested from here.') },
    handle: async ({ deps, team, params }) => {
      const subscription = await ownSubscription(deps, team, params.id);
      if (!deps.testableChannels.includes(subscription.channel)) {
        throw problems.unprocessable('channel', 'Email is sent by SNS; confirm the subscription and watch your inbox instead.');
      }
      return json(200, await deps.delivery.sendTest(subscription));
    },
  },
  {
    method: 'POST',
    path: '/v1/subscriptions/{id}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    auth: 'team',
    summary: 'Give a webhook subscription a new signing secret; the old one keeps signing for a grace period',
    body: S.RotateSecretBody,
    bodyOptional: true,
    responses: {
      200: ok('The new `whsec_` secret, this once, and until when the old one still signs.', S.RotatedSecretView),
      404: ok('The team has no such subscription.'),
      409: ok('Another rotation of this subscription finished first; rotate again.'),
      422: ok('Only webhook subscriptions have a signing secret.'),
    },
    handle: async ({ deps, team, params, body }) => {
      const { graceSeconds } = S.RotateSecretBody.parse(body ?? {});
      const subscription = await ownSubscription(deps, team, params.id);
      if (subscription.channel !== 'webhook' || !subscription.secret) {
        throw problems.unprocessable('channel', 'Only webhook subscriptions have a signing secret.');
      }
      // The plaintext is answered this once and never logged; only its sealed form is stored.
      const secret = newWebhookSecret();
      const sealed = await deps.secrets.seal(secret, secretContext(subscription));
      const previousSecretExpiresAt = new Date(deps.now().getTime() + graceSeconds * 1000).toISOString();
      if (!(await deps.subscriptions.rotateSecret(team, subscription.id, subscription.secret, { secret: sealed, previousSecretExpiresAt }))) {
        throw problems.conflict('Another rotation of this subscription finished first; rotate again to get a secret you hold.');
      }
      return json(200, { secret, previousSecretExpiresAt });
    },
  },
  {
    method: 'POST',
    path: '/v1/subscriptions/{id}/redeliver',
    operationId: 'redeliverEvent',
    auth: 'team',
    summary: 'Send a past event to this subscription again, with its original id',
    body: S.RedeliverBody,
    responses: { 200: ok('What the receiver answered.', S.AttemptOutcomeView), 404: ok('No such subscription, or it never had that event.') },
    handle: async ({ deps, team, params, body }) => {
      const subscription = await ownSubscription(deps, team, params.id);
      const outcome = await deps.delivery.redeliver(subscription, (body as z.infer<typeof S.RedeliverBody>).eventId);
      if (!outcome) throw problems.notFound('event for this subscription');
      return json(200, outcome);
    },
  },
];

/** A new token for a team: 256 random bits, shown once, stored only as its hash. */
async function createToken(deps: ApiDeps, team: string, input: z.infer<typeof S.CreateTokenBody>) {
  const token = newTeamToken();
  const now = deps.now();
  const info = {
    id: newId('tok'),
    name: input.name,
    createdAt: now.toISOString(),
    expiresAt: input.expiresInDays === undefined ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString(),
    lastUsedAt: null,
  };
  await deps.teams.addToken(team, sha256Hex(token), info);
  deps.logger.info('token created', { team, tokenId: info.id, name: info.name });
  return { ...info, token };
}

/** Revokes one of a team's tokens; another team's token id answers 404 like a missing one. */
async function revokeToken(deps: ApiDeps, team: string, tokenId: string | undefined, by: 'team' | 'operator') {
  if (!tokenId || !(await deps.teams.revokeToken(team, tokenId))) throw problems.notFound('token');
  deps.logger.info('token revoked', { team, tokenId, by });
  return noContent();
}

async function ownSubscription(deps: ApiDeps, team: string, id: string | undefined) {
  const subscription = id ? await deps.subscriptions.get(team, id) : undefined;
  if (!subscription) throw problems.notFound('subscription');
  return subscription;
}

async function ownWatch(deps: ApiDeps, team: string, watchId: string | undefined) {
  const watch = watchId ? await deps.watches.getWatch(watchId) : undefined;
  // Another team's watch is indistinguishable from a missing one.
  if (!watch || watch.team !== team) throw problems.notFound('watch');
  return watch;
}
