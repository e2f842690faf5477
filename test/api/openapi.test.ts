import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/api/openapi';
import { ROUTES } from '../../lambdas/api/routes';
import { EVENT_TYPES } from '../../lambdas/domain/events';

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const result = await new Validator().validate(structuredClone(openApiDocument()) as unknown as Parameters<Validator['validate']>[0]);

    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(openApiDocument().openapi).toBe('3.1.0');
  });

  it('lists every route the API serves', () => {
    const documented = Object.entries(openApiDocument().paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('describes request bodies with the schemas the handlers validate with', () => {
    const schemas = openApiDocument().components?.schemas ?? {};

    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(['CreateWatch', 'Resource', 'Watch', 'CreateSubscription', 'Problem']));
    expect(JSON.stringify(schemas.Resource)).toContain('correction_session');
    const run = (schemas.Resource as { oneOf?: Array<{ properties?: Record<string, { const?: string; pattern?: string }> }> }).oneOf?.find((variant) => variant.properties?.type?.const === 'autoscientist_run');
    expect(run?.properties?.runId?.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$');
    expect(JSON.stringify(schemas.SubscriptionFilter)).toContain('"enum":["dataset","correction_session","autoscientist_run"]');
  });

  it('gives every operation a readable, unique operationId', () => {
    const ids = ROUTES.map((r) => r.operationId);

    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(get|list|create|update|delete|send|redeliver|rotate)[A-Z][A-Za-z]+$/);
    expect((openApiDocument().paths?.['/v1/watches'] as { post: { operationId: string } }).post.operationId).toBe('createWatch');
  });

  it('documents the 400 of every operation that takes a body or a query', () => {
    for (const route of ROUTES.filter((r) => r.body || r.query)) {
      const operation = (openApiDocument().paths?.[route.path] as Record<string, { responses: Record<string, unknown> }>)[route.method.toLowerCase()];
      expect(Object.keys(operation?.responses ?? {}), route.operationId).toContain('400');
    }
  });

  it('names where the API is served', () => {
    expect(openApiDocument().servers?.map((s) => s.url)).toEqual(['http://127.0.0.1:8787', 'https://{apiId}.execute-api.{region}.amazonaws.com']);
  });

  it('describes every webhook payload, one per event type, with the schema events are checked against', () => {
    const webhooks = openApiDocument().webhooks ?? {};

    expect(Object.keys(webhooks).sort()).toEqual(Object.values(EVENT_TYPES).sort());
    const changed = JSON.stringify(webhooks[EVENT_TYPES.changed]);
    expect(changed).toContain('webhook-signature');
    expect(changed).toContain('ResourceChangedEvent');
  });
});

describe('the OpenAPI document, channels and their options', () => {
  it('names every channel, quiet hours and digests, and says email takes neither', () => {
    const schemas = openApiDocument().components?.schemas ?? {};
    const create = JSON.stringify(schemas.CreateSubscription);

    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(['QuietHours', 'Digest']));
    for (const channel of ['email', 'slack', 'teams', 'discord', 'webhook']) expect(create).toContain(`"const":"${channel}"`);
    expect(create).toContain('Not for email: SNS delivers each email as the event is published');
    expect(JSON.stringify(schemas.Digest)).toContain('application/cloudevents-batch+json');
    expect(JSON.stringify(schemas.QuietHours)).toContain('IANA');
    expect(JSON.stringify(schemas.Subscription)).toContain('"teams"');
  });
});
