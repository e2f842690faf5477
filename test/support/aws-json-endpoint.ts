import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call a bundle made: the operation (the X-Amz-Target header) and its JSON input. */
export interface AwsCall {
  target: string;
  input: Record<string, unknown>;
}

/**
 * An endpoint on 127.0.0.1 answering the AWS JSON protocol for the few calls
 * the asset-load test lets a bundle make where there is no local server in
 * `npm test` (SQS SendMessageBatch, Secrets Manager GetSecretValue), in the
 * shapes AWS answers, and recording each call. A bundle in another process
 * cannot be reached by aws-sdk-client-mock; the full story against an
 * emulator is `npm run test:aws` (moto).
 */
export async function startAwsJsonEndpoint(): Promise<{ url: string; calls: AwsCall[]; secrets: Map<string, string>; close(): Promise<void> }> {
  const calls: AwsCall[] = [];
  const secrets = new Map<string, string>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      calls.push({ target, input });
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        response.end(JSON.stringify(body));
      };
      if (target === 'AmazonSQS.SendMessageBatch') {
        const entries = input.Entries as Array<{ Id: string; MessageBody: string }>;
        return answer(200, {
          Successful: entries.map((entry) => ({ Id: entry.Id, MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(entry.MessageBody).digest('hex') })),
          Failed: [],
        });
      }
      if (target === 'secretsmanager.GetSecretValue') {
        const id = String(input.SecretId);
        const value = secrets.get(id);
        if (value === undefined) return answer(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return answer(200, { ARN: id, Name: id.split(':').pop(), SecretString: value, VersionId: randomUUID(), VersionStages: ['AWSCURRENT'] });
      }
      return answer(400, { __type: 'UnknownOperationException', message: `not served here: ${target}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    secrets,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
