import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { InvalidCursorError } from '../adapters/dynamo/cursor';
import { closestName, knownFieldNames } from './field-names';
import { identify } from './identify';
import type { ApiDeps } from './deps';
import { ApiProblem, internalErrorResponse, problemResponse, problems, type ApiRequest, type ApiResponse, type FieldProblem } from './http';
import { isConsolePath, serveConsole } from '../console/serve';
import { ROUTES, type Route } from './routes';

export const MAX_BODY_BYTES = 16 * 1024;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  /** The path's parameters in order, e.g. `id`, `tokenId`. */
  names: string[];
}

const COMPILED: CompiledRoute[] = ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '([^/]+)')}$`),
  names: [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string),
}));

/**
 * The whole watch API as one function of a request. Errors of every kind
 * leave here as problem+json; anything unexpected is logged with a request
 * id and answered with an opaque 500.
 */
export async function handleApiRequest(deps: ApiDeps, request: ApiRequest): Promise<ApiResponse> {
  const requestId = randomUUID();
  try {
    // The console is static and public (sign-in happens in the page, against /v1).
    if (isConsolePath(request.path)) return serveConsole(await deps.consoleAssets?.(), request.method.toUpperCase(), request.path);
    return await dispatch(deps, request);
  } catch (error) {
    if (error instanceof ApiProblem) return problemResponse(error, request.path);
    if (error instanceof InvalidCursorError) return problemResponse(problems.validation([{ path: 'cursor', message: error.message }]), request.path);
    deps.logger.error('unhandled API error', { requestId, method: request.method, path: request.path, error: error instanceof Error ? error.stack : String(error) });
    return internalErrorResponse(requestId);
  }
}

async function dispatch(deps: ApiDeps, request: ApiRequest): Promise<ApiResponse> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const matches = COMPILED.map(({ route, pattern, names }) => ({ route, names, match: pattern.exec(path) })).filter((m) => m.match);
  if (matches.length === 0) throw problems.notFound('route');
  const chosen = matches.find((m) => m.route.method === request.method.toUpperCase());
  if (!chosen) throw problems.methodNotAllowed([...new Set(matches.map((m) => m.route.method))]);
  const { route, match, names } = chosen;

  const params: Record<string, string> = {};
  for (const [index, name] of names.entries()) {
    const value = safeDecode(match?.[index + 1] ?? '');
    // Ids are ours; anything not shaped like one cannot exist.
    if (!ID_PATTERN.test(value)) throw problems.notFound(route.path.includes('tokens') ? 'token' : route.path.includes('subscriptions') ? 'subscription' : route.path.includes('teams') ? 'team' : 'watch');
    params[name] = value;
  }

  if (request.body !== undefined && Buffer.byteLength(request.body, 'utf8') > MAX_BODY_BYTES) throw problems.tooLarge(MAX_BODY_BYTES);
  const team = await authenticate(deps, route, request);
  // A route whose body is optional still checks a body that is sent.
  const bodyGiven = request.body !== undefined && request.body.trim() !== '';
  const body = route.body && (bodyGiven || !route.bodyOptional) ? parseBody(route.body, request) : undefined;
  const query = route.query ? validate(route.query, request.query, 'query') : {};
  return route.handle({ deps, team, params, body, query: query as Record<string, unknown> });
}

async function authenticate(deps: ApiDeps, route: Route, request: ApiRequest): Promise<string> {
  if (route.auth === 'none') return '';
  const identity = request.identity ?? (await identify(deps, request.headers.authorization));
  if (route.auth === 'admin') {
    if (!identity?.admin) throw problems.unauthorized();
    return '';
  }
  if (!identity?.team) throw problems.unauthorized();
  return identity.team;
}

function parseBody(schema: z.ZodType, request: ApiRequest): unknown {
  const contentType = request.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) throw problems.unsupportedMediaType();
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body ?? '');
  } catch {
    throw problems.validation([{ path: '(body)', message: 'is not valid JSON' }]);
  }
  return validate(schema, parsed, 'body');
}

function validate(schema: z.ZodType, value: unknown, where: 'body' | 'query'): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: FieldProblem[] = result.error.issues.flatMap((issue): FieldProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      // One problem per unknown field, at its own path, with the field that was probably meant.
      return issue.keys.map((key) => {
        const meant = closestName(key, knownFieldNames(schema));
        return { path: [...issue.path, key].join('.'), message: `is not a known field${meant ? `; did you mean ${meant}?` : ''}` };
      });
    }
    return [{ path: issue.path.length > 0 ? issue.path.join('.') : `(${where})`, message: issue.message }];
  });
  throw problems.validation(fields, where === 'query' ? 'The query string is not valid.' : 'The request body is not valid.');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
