import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Waits this long before answering (a slow or hanging receiver). */
  delayMs?: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 (a webhook endpoint or a fake Slack).
 * It answers from a script, one answer per request, then with `fallback`.
 */
export async function startReceiver(initialFallback: ScriptedAnswer = { status: 200, body: 'ok' }) {
  let fallback = initialFallback;
  const received: ReceivedRequest[] = [];
  const script: ScriptedAnswer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = script.shift() ?? fallback;
      const respond = () => {
        if (!res.destroyed) res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(respond, answer.delayMs);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Queue the answers for the next requests, in order. */
    answer(...answers: ScriptedAnswer[]) {
      script.push(...answers);
    },
    /** How to answer, once the script is used up, from now on. */
    answerFromNowOn(answer: ScriptedAnswer) {
      fallback = answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
