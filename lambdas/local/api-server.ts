import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleApiRequest, MAX_BODY_BYTES } from '../api/app';
import type { ApiDeps } from '../api/deps';
import { problemResponse, problems, type ApiResponse } from '../api/http';
import { listenOn } from './startup';

/** The watch API on a local port: the same request handling as the Lambda behind API Gateway. */
export async function startApiServer(deps: ApiDeps, port: number, host = '127.0.0.1'): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    let response: ApiResponse;
    const body = await readBody(req);
    if (body === 'too-large') {
      response = problemResponse(problems.tooLarge(MAX_BODY_BYTES), req.url);
    } else {
      const url = new URL(req.url ?? '/', 'http://localhost');
      response = await handleApiRequest(deps, {
        method: req.method ?? 'GET',
        path: url.pathname,
        headers: Object.fromEntries(Object.entries(req.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(', ') : value])),
        query: Object.fromEntries(url.searchParams),
        body,
      });
    }
    res.writeHead(response.status, response.headers).end(response.body);
  });
  await listenOn(server, port, host, 'WATCHPOST_PORT');
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Keeps at most the limit in memory; the rest of an oversized body is read and dropped. */
async function readBody(req: IncomingMessage): Promise<string | undefined | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) return 'too-large';
  return size === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}
