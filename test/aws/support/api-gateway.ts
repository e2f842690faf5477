import { randomUUID } from 'node:crypto';
import type { Assembly } from './assembly';
import type { LambdaFunction } from './lambda-host';
import { ACCOUNT_ID, type Stack } from './provision';

interface Route {
  method: string;
  /** Path segments; `{name}` matches one, `{name+}` the rest. */
  segments: string[];
  routeKey: string;
  authorizerId?: string;
}

interface Authorizer {
  fn: LambdaFunction;
  identitySource: string[];
  ttlSeconds: number;
  simple: boolean;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: any;
}

/**
 * The HTTP API of the template, played by the test (moto has no API Gateway
 * v2 runtime that invokes functions): routes matched by their route keys
 * (most specific first, as API Gateway does), the REQUEST authorizer invoked
 * with payload 2.0 and its simple response honoured (401 without the
 * identity source, 403 on a deny, 500 on an authorizer error; answers cached
 * per identity for the authorizer's TTL), and the integration invoked with
 * the payload 2.0 event, its context carrying the authorizer's.
 */
export class HttpApiGateway {
  private readonly routes: Route[] = [];
  private readonly authorizers = new Map<string, Authorizer>();
  private readonly cache = new Map<string, { until: number; authorized: boolean; context: unknown }>();
  readonly apiId: string;
  readonly domainName: string;
  /** Authorizer invocations, to tell a cached answer from a fresh one. */
  authorizerInvocations = 0;

  constructor(
    assembly: Assembly,
    stack: Stack,
    private readonly integration: LambdaFunction,
    authorizer: LambdaFunction,
  ) {
    const [apiId] = assembly.idsOf('AWS::ApiGatewayV2::Api');
    this.apiId = (stack.resources.get(apiId as string)?.ref ?? 'api').toLowerCase().replace(/[^a-z0-9]/g, '').slice(-10);
    this.domainName = `${this.apiId}.execute-api.${stack.region}.amazonaws.com`;
    for (const id of assembly.idsOf('AWS::ApiGatewayV2::Authorizer')) {
      const p = assembly.resource(id).Properties ?? {};
      const uri = JSON.stringify(p.AuthorizerUri);
      // The one authorizer function of this API; the URI names it by its logical id.
      if (!uri.includes(authorizer.logicalId)) throw new Error(`authorizer ${id} invokes another function than ${authorizer.logicalId}`);
      if (p.AuthorizerType !== 'REQUEST' || p.AuthorizerPayloadFormatVersion !== '2.0') throw new Error(`authorizer ${id}: only REQUEST authorizers with payload 2.0 are played here`);
      this.authorizers.set(id, { fn: authorizer, identitySource: p.IdentitySource as string[], ttlSeconds: Number(p.AuthorizerResultTtlInSeconds ?? 300), simple: p.EnableSimpleResponses === true });
    }
    for (const id of assembly.idsOf('AWS::ApiGatewayV2::Route')) {
      const p = assembly.resource(id).Properties ?? {};
      const routeKey = p.RouteKey as string;
      const [method, path] = routeKey.split(' ') as [string, string];
      const target = JSON.stringify(p.Target);
      const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1] as string;
      const integrationUri = JSON.stringify(assembly.resource(integrationId).Properties?.IntegrationUri);
      if (!integrationUri.includes(integration.logicalId)) throw new Error(`route ${routeKey} targets another function than ${integration.logicalId}`);
      if (assembly.resource(integrationId).Properties?.PayloadFormatVersion !== '2.0') throw new Error(`route ${routeKey}: only payload 2.0 is played here`);
      const authorizerId = p.AuthorizationType === 'CUSTOM' ? ((p.AuthorizerId as { Ref: string }).Ref as string) : undefined;
      this.routes.push({ method, segments: path.split('/').filter(Boolean), routeKey, ...(authorizerId ? { authorizerId } : {}) });
    }
  }

  /** The route API Gateway picks: exact segments beat variables, variables beat a greedy tail; a method beats ANY. */
  match(method: string, path: string): { route: Route; pathParameters: Record<string, string> } | undefined {
    const parts = path.split('/').filter(Boolean);
    const candidates: Array<{ route: Route; pathParameters: Record<string, string>; score: number[] }> = [];
    for (const route of this.routes) {
      if (route.method !== 'ANY' && route.method !== method) continue;
      const pathParameters: Record<string, string> = {};
      const score: number[] = [];
      let matched = true;
      for (let i = 0; i < route.segments.length; i += 1) {
        const segment = route.segments[i] as string;
        const greedy = /^\{(.+)\+\}$/.exec(segment);
        if (greedy) {
          if (i !== route.segments.length - 1 || parts.length <= i) matched = false;
          else pathParameters[greedy[1] as string] = parts.slice(i).map(decodeURIComponent).join('/');
          score.push(0);
          break;
        }
        const part = parts[i];
        if (part === undefined) {
          matched = false;
          break;
        }
        const variable = /^\{(.+)\}$/.exec(segment);
        if (variable) {
          pathParameters[variable[1] as string] = decodeURIComponent(part);
          score.push(1);
        } else if (segment === part) score.push(2);
        else {
          matched = false;
          break;
        }
      }
      const greedyTail = route.segments.at(-1)?.endsWith('+}') ?? false;
      if (matched && !greedyTail && route.segments.length !== parts.length) matched = false;
      if (matched) candidates.push({ route, pathParameters, score: [...score, route.method === 'ANY' ? 0 : 1] });
    }
    candidates.sort((a, b) => {
      for (let i = 0; i < Math.max(a.score.length, b.score.length); i += 1) {
        const d = (b.score[i] ?? -1) - (a.score[i] ?? -1);
        if (d !== 0) return d;
      }
      return 0;
    });
    return candidates[0];
  }

  async request(method: string, pathAndQuery: string, options: { headers?: Record<string, string>; body?: unknown } = {}): Promise<ApiResponse> {
    const url = new URL(pathAndQuery, `https://${this.domainName}`);
    const headers: Record<string, string> = { host: this.domainName, 'user-agent': 'watchpost-test-aws', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7', 'x-forwarded-port': '443' };
    for (const [key, value] of Object.entries(options.headers ?? {})) headers[key.toLowerCase()] = value;
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const found = this.match(method, url.pathname);
    if (!found) return respond(404, { message: 'Not Found' });
    const now = new Date();
    const query = Object.fromEntries(url.searchParams);
    const requestContext = {
      accountId: ACCOUNT_ID,
      apiId: this.apiId,
      domainName: this.domainName,
      domainPrefix: this.apiId,
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: headers['user-agent'] },
      requestId: randomUUID().slice(0, 18),
      routeKey: found.route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    };
    const base = {
      version: '2.0',
      routeKey: found.route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      ...(url.searchParams.size > 0 ? { queryStringParameters: query } : {}),
      ...(Object.keys(found.pathParameters).length > 0 ? { pathParameters: found.pathParameters } : {}),
    };

    let authorizerContext: unknown;
    if (found.route.authorizerId) {
      const authorizer = this.authorizers.get(found.route.authorizerId) as Authorizer;
      const identity = authorizer.identitySource.map((source) => headers[source.replace(/^\$request\.header\./i, '').toLowerCase()]);
      if (identity.some((value) => value === undefined || value === '')) return respond(401, { message: 'Unauthorized' });
      const key = identity.join(',');
      let answer = this.cache.get(key);
      if (!answer || answer.until <= Date.now()) {
        this.authorizerInvocations += 1;
        const outcome = await authorizer.fn.invoke<{ isAuthorized?: unknown; context?: unknown }>({
          ...base,
          type: 'REQUEST',
          routeArn: `arn:aws:execute-api:${requestContext.domainName.split('.')[2]}:${ACCOUNT_ID}:${this.apiId}/$default/${method}${url.pathname}`,
          identitySource: identity,
          requestContext,
        });
        if (outcome.error || outcome.timedOut || typeof outcome.result?.isAuthorized !== 'boolean') {
          console.error(`authorizer for ${method} ${url.pathname}: ${outcome.timedOut ? 'timed out' : `${outcome.error?.errorType ?? 'no simple response'}: ${outcome.error?.errorMessage ?? JSON.stringify(outcome.result)}`}`);
          return respond(500, { message: 'Internal Server Error' });
        }
        answer = { until: Date.now() + authorizer.ttlSeconds * 1000, authorized: outcome.result.isAuthorized, context: outcome.result.context ?? {} };
        if (authorizer.ttlSeconds > 0) this.cache.set(key, answer);
      }
      if (!answer.authorized) return respond(403, { message: 'Forbidden' });
      authorizerContext = answer.context;
    }

    const event = {
      ...base,
      requestContext: { ...requestContext, ...(authorizerContext !== undefined ? { authorizer: { lambda: authorizerContext } } : {}) },
      ...(body !== undefined ? { body, isBase64Encoded: false } : { isBase64Encoded: false }),
    };
    const outcome = await this.integration.invoke<{ statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean }>(event);
    // HTTP APIs wait 30 s for an integration; the function's own timeout (29 s) comes first.
    if (outcome.timedOut || outcome.error) {
      // What the function's log group would show; the caller sees only API Gateway's 500.
      console.error(`${method} ${url.pathname}: ${outcome.timedOut ? 'timed out' : `${outcome.error?.errorType}: ${outcome.error?.errorMessage}`}\n${this.integration.recentLogs()}`);
      return respond(500, { message: 'Internal Server Error' });
    }
    const result = outcome.result ?? {};
    const text = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64').toString('utf8') : (result.body ?? '');
    return parse(result.statusCode ?? 200, result.headers ?? {}, text);
  }
}

function respond(status: number, body: unknown): ApiResponse {
  return parse(status, { 'content-type': 'application/json' }, JSON.stringify(body));
}

function parse(status: number, headers: Record<string, string>, body: string): ApiResponse {
  let json: unknown;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])), body, json };
}
