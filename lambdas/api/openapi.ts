
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { ROUTES } from './routes';
import { IdPath, Problem } from './schemas';

let cached: ReturnType<typeof createDocument> | undefined;

/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  cached ??= build();
  return cached;
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
    if (route.body) {
      responses['400'] = { description: 'The request is not valid; `errors` names each failing field.', content: { 'application/problem+json': { schema: Problem } } };
      responses['413'] = { description: 'The body is larger than 16 KiB.' };
      responses['415'] = { description: 'The body is not `application/json`.' };
    }
    const operation: ZodOpenApiOperationObject = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/\{id\}/g, 'ById').replace(/[^A-Za-z]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: route.summary,
      responses,
      ...(route.auth === 'team' ? { security: [{ teamToken: [] }] } : route.auth === 'admin' ? { security: [{ adminToken: [] }] } : { security: [] }),
      ...(route.path.includes('{id}') || route.query
        ? { requestParams: { ...(route.path.includes('{id}') ? { path: IdPath } : {}), ...(route.query ? { query: route.query } : {}) } }
        : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
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
    paths,
  });
}

