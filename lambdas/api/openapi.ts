
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { ROUTES } from './routes';
import { z } from 'zod';
import { EVENT_SCHEMAS } from '../domain/event-schema';
import { IdAndTokenPath, IdPath, Problem } from './schemas';

let cached: ReturnType<typeof createDocument> | undefined;

/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  cached ??= build();
  return cached;
}

/**
 * What a webhook subscription receives: one entry per event type, a POST of
 * the CloudEvent with the Standard Webhooks headers, described by the same
 * schemas the delivery consumer validates with.
 */
function webhooks(): ZodOpenApiPathsObject {
  const signed = {
    'webhook-id': 'The event id; the same on every retry (deduplicate on it).',
    'webhook-timestamp': 'Seconds since the epoch when this attempt was signed.',
    'webhook-signature': 'v1,<base64 HMAC-SHA256 of id.timestamp.body>, space-separated when several secrets sign (during a secret rotation).',
  };
  return Object.fromEntries(
    Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [
      type,
      {
        post: {
          operationId: `receive${type.replace(/^io\.watchpost\./, '').replace(/(^|[._])(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
          summary: `A ${type} event, POSTed to a webhook subscription's URL`,
          requestParams: { header: z.object(Object.fromEntries(Object.entries(signed).map(([name, description]) => [name, z.string().meta({ description })]))) },
          requestBody: { required: true, content: { 'application/json': { schema } } },
          responses: { '200': { description: 'Any 2xx: delivered. 410 disables the subscription; anything else is retried with backoff.' } },
        },
      },
    ]),
  );
}

function build(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES) {
    const responses: ZodOpenApiOperationObject['responses'] = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      const contentType = Number(status) >= 400 ? 'application/problem+json' : 'application/json';
      responses[status as `${1 | 2 | 3 | 4 | 5}${string}`] = spec.schema ? { description: spec.description, content: { [contentType]: { schema: spec.schema } } } : { description: spec.description };
    }
    if (route.auth !== 'none') responses['401'] = { description: 'Missing or wrong bearer token.', content: { 'application/problem+json': { schema: Problem } } };
    if (route.query && !route.body) {
      responses['400'] = { description: 'A query parameter is not valid (a limit out of range, a cursor this API did not issue); `errors` names it.', content: { 'application/problem+json': { schema: Problem } } };
    }
    if (route.body) {
      responses['400'] = { description: 'The request is not valid; `errors` names each failing field.', content: { 'application/problem+json': { schema: Problem } } };
      responses['413'] = { description: 'The body is larger than 16 KiB.' };
      responses['415'] = { description: 'The body is not `application/json`.' };
    }
    const operation: ZodOpenApiOperationObject = {
      operationId: route.operationId,
      summary: route.summary,
      responses,
      ...(route.auth === 'team' ? { security: [{ teamToken: [] }] } : route.auth === 'admin' ? { security: [{ adminToken: [] }] } : { security: [] }),
      ...(route.path.includes('{') || route.query
        ? { requestParams: { ...(route.path.includes('{') ? { path: route.path.includes('{tokenId}') ? IdAndTokenPath : IdPath } : {}), ...(route.query ? { query: route.query } : {}) } }
        : {}),
      ...(route.body ? { requestBody: { required: !route.bodyOptional, content: { 'application/json': { schema: route.body } } } } : {}),
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Watchpost watch API',
      version: '1.0.0',
      description: 'Register watches on DeepOpinion correction sessions and Adaption Labs datasets, and subscriptions to their change events.',
    },
    components: {
      securitySchemes: {
        teamToken: { type: 'http', scheme: 'bearer', description: 'A team token from POST /v1/admin/teams.' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The operator token (WATCHPOST_ADMIN_TOKEN).' },
      },
    },
    servers: [
      { url: 'http://127.0.0.1:8787', description: 'npm start (WATCHPOST_PORT)' },
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'A deployed stack (its ApiUrl output)',
        variables: { apiId: { default: 'your-api-id' }, region: { default: 'eu-west-1' } },
      },
    ],
    paths,
    webhooks: webhooks(),
  });
}

