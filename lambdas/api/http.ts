/**
 * The transport-neutral request and response the API works with. The Lambda
 * handler (API Gateway HTTP API events) and the local server (node:http) both
 * translate to and from these, so routes and errors are identical in both.
 */
export interface ApiRequest {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  /** Raw body text; undefined when there is none. */
  body: string | undefined;
  /** Set when an API Gateway authorizer has already resolved the caller's token. */
  identity?: { team?: string | undefined; admin: boolean } | undefined;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

export interface FieldProblem {
  /** Dotted path of the failing field, e.g. `resource.datasetId`. */
  path: string;
  message: string;
}

const PROBLEM_BASE = 'https://watchpost.dev/problems';

/**
 * An error the API answers with as RFC 9457 problem details. Thrown anywhere
 * below the router; everything else becomes an opaque 500.
 */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail?: string,
    readonly fields: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'ApiProblem';
  }
}

export const problems = {
  validation: (fields: FieldProblem[], detail = 'The request is not valid.') =>
    new ApiProblem(400, 'validation-error', 'Invalid request', `${detail} ${fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`.trim(), fields),
  unauthorized: () =>
    new ApiProblem(401, 'unauthorized', 'Unauthorized', 'Send a valid token as `Authorization: Bearer <token>`.', [], { 'www-authenticate': 'Bearer' }),
  notFound: (what = 'resource') => new ApiProblem(404, 'not-found', 'Not found', `No such ${what}.`),
  methodNotAllowed: (allowed: string[]) =>
    new ApiProblem(405, 'method-not-allowed', 'Method not allowed', `Use one of: ${allowed.join(', ')}.`, [], { allow: allowed.join(', ') }),
  conflict: (detail: string) => new ApiProblem(409, 'limit-reached', 'Conflict', detail),
  tooLarge: (limit: number) => new ApiProblem(413, 'body-too-large', 'Payload too large', `Bodies are limited to ${limit} bytes.`),
  unsupportedMediaType: () =>
    new ApiProblem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the body as `content-type: application/json`.'),
  unprocessable: (path: string, detail: string) => new ApiProblem(422, 'unprocessable', 'Unprocessable request', detail, [{ path, message: detail }]),
  /** Not retryable: an operator must configure the upstream first. */
  upstreamNotConfigured: (detail: string) => new ApiProblem(501, 'upstream-not-configured', 'Upstream not configured', detail, [{ path: 'resource.type', message: detail }]),
  upstreamUnavailable: (detail: string, retryAfterSeconds = 30) =>
    new ApiProblem(503, 'upstream-unavailable', 'Upstream unavailable', detail, [], { 'retry-after': String(retryAfterSeconds) }),
};

export function problemResponse(problem: ApiProblem, instance?: string): ApiResponse {
  const body: Record<string, unknown> = {
    type: `${PROBLEM_BASE}/${problem.type}`,
    title: problem.title,
    status: problem.status,
  };
  if (problem.detail) body.detail = problem.detail;
  if (instance) body.instance = instance;
  if (problem.fields.length > 0) body.errors = problem.fields;
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', ...problem.headers },
    body: JSON.stringify(body),
  };
}

export function internalErrorResponse(requestId: string): ApiResponse {
  // Never echo the cause: it is logged with the request id instead.
  return problemResponse(new ApiProblem(500, 'internal-error', 'Internal server error', `Something failed on our side. Request id: ${requestId}.`));
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function noContent(): ApiResponse {
  return { status: 204, headers: {} };
}
