import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPooledFetch } from '../../lambdas/adapters/http/pooled-fetch';

let server: Server;
let base: string;
const sockets = new Set<Socket>();
const agent = new Agent({ keepAliveTimeout: 4_000 });
const pooled = createPooledFetch(agent);

beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.add(req.socket);
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Written slowly: a reader that stops early must not see the rest, nor break the next request.
      let left = 50;
      const timer = setInterval(() => {
        if (left-- === 0 || res.destroyed) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write('x'.repeat(16_384));
      }, 2);
      return;
    }
    if (req.url === '/redirect') return void res.writeHead(302, { location: '/ok' }).end();
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('late'), 500);
    if (req.url === '/cookies') return void res.writeHead(200, [['set-cookie', 'a=1'], ['set-cookie', 'b=2']]).end();
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'x-method': req.method ?? '' }).end(JSON.stringify({ path: req.url, body, auth: req.headers.authorization ?? null })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the pooled upstream transport (undici)', () => {
  it('keeps connections alive across sequential requests, sending method, headers and body', async () => {
    sockets.clear();
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await (await pooled(`${base}/n${i}`, { headers: { authorization: 'Bearer t' } })).json());
    const socketsForGets = sockets.size;
    const posted = await pooled(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });

    expect(answers[19]).toEqual({ path: '/n19', body: '', auth: 'Bearer t' });
    expect(await posted.json()).toMatchObject({ path: '/login', body: '{"a":1}' });
    expect(posted.headers.get('x-method')).toBe('POST');
    // Reused, not one per request (a request may start before the last one's socket is handed back: two at most).
    expect(socketsForGets).toBeLessThanOrEqual(2);
    expect(sockets.size).toBeLessThanOrEqual(2);
  });

  it('lets a reader stop early on a long body, then serves the next request normally', async () => {
    const response = await pooled(`${base}/big`, {});
    const reader = response.body!.getReader();
    const first = await reader.read();
    await reader.cancel();
    const next = await pooled(`${base}/after`, {});

    expect(first.value?.byteLength).toBeGreaterThan(0);
    expect(await next.json()).toMatchObject({ path: '/after' });
  });

  it('does not follow redirects, keeps repeated headers, and rejects with the signal’s reason on a timeout', async () => {
    const redirect = await pooled(`${base}/redirect`, {});
    const cookies = await pooled(`${base}/cookies`, {});
    const timedOut = await pooled(`${base}/slow`, { signal: AbortSignal.timeout(50) }).catch((error: unknown) => error);

    expect([redirect.status, redirect.headers.get('location')]).toEqual([302, '/ok']);
    expect(cookies.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect((timedOut as Error).name).toBe('TimeoutError');
  });

  it('reports a refused connection as fetch does: a TypeError whose cause has the code', async () => {
    const error = (await pooled('http://127.0.0.1:9/', {}).catch((e: unknown) => e)) as TypeError & { cause?: { code?: string } };

    expect(error).toBeInstanceOf(TypeError);
    expect(error.cause?.code).toBe('ECONNREFUSED');
  });
});
