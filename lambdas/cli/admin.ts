import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * `npm run admin -- <command>`: the operator's way to manage teams and their
 * tokens, through the watch API (local or deployed).
 *
 *   WATCHPOST_API_URL      default http://127.0.0.1:$WATCHPOST_PORT (8787), as npm start listens
 *   WATCHPOST_ADMIN_TOKEN  default: the local one in $WATCHPOST_DATA_DIR/admin-token
 */
export interface AdminCliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = [
  'usage: npm run admin -- <command> [--api-url URL]   (or WATCHPOST_API_URL; default http://127.0.0.1:$WATCHPOST_PORT)',
  '  create-team <name>                                  a team and its first token (shown once)',
  '  list-teams',
  '  create-token <team> --name <what-for> [--expires-in-days N]   another token for the team (shown once)',
  '  list-tokens <team>                                  names, expiry and last use; never the tokens',
  '  revoke-token <team> <token-id>                      stops working within 60 s everywhere',
].join('\n');

interface Request {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  expect: number;
  print: (body: Record<string, unknown>, out: (line: string) => void) => void;
}

type Options = { name?: string | undefined; 'expires-in-days'?: string | undefined };

/** What each command asks of the API, or why its arguments do not do. */
function requestFor(command: string | undefined, args: string[], options: Options): Request | string {
  const [first, second] = args.map(encodeURIComponent);
  switch (command) {
    case 'create-team':
      if (!first) return 'create-team needs the team name';
      return {
        method: 'POST',
        path: '/v1/admin/teams',
        body: { name: args[0] },
        expect: 201,
        print: (body, out) => {
          out(`Team "${(body.team as { id: string }).id}" created. Its token (shown once, store it now):`);
          out(String(body.token));
        },
      };
    case 'list-teams':
      return { method: 'GET', path: '/v1/admin/teams', expect: 200, print: (body, out) => printRows(body, ['id', 'createdAt'], out) };
    case 'create-token': {
      if (!first || !options.name) return 'create-token needs the team and --name';
      const days = options['expires-in-days'];
      if (days !== undefined && !/^\d+$/.test(days)) return '--expires-in-days takes a whole number of days';
      return {
        method: 'POST',
        path: `/v1/admin/teams/${first}/tokens`,
        body: { name: options.name, ...(days !== undefined ? { expiresInDays: Number(days) } : {}) },
        expect: 201,
        print: (body, out) => {
          out(`Token ${String(body.id)} ("${String(body.name)}") for team "${args[0]}", expires ${String(body.expiresAt ?? 'never')}. Shown once, store it now:`);
          out(String(body.token));
        },
      };
    }
    case 'list-tokens':
      if (!first) return 'list-tokens needs the team';
      return { method: 'GET', path: `/v1/admin/teams/${first}/tokens`, expect: 200, print: (body, out) => printRows(body, ['id', 'name', 'createdAt', 'expiresAt', 'lastUsedAt'], out) };
    case 'revoke-token':
      if (!first || !second) return 'revoke-token needs the team and the token id';
      return { method: 'DELETE', path: `/v1/admin/teams/${first}/tokens/${second}`, expect: 204, print: (_body, out) => out(`Token ${args[1]} revoked: it stops working within 60 s.`) };
    default:
      return command ? `unknown command "${command}"` : 'no command given';
  }
}

function printRows(body: Record<string, unknown>, columns: string[], out: (line: string) => void): void {
  const items = (body.items ?? []) as Array<Record<string, unknown>>;
  if (items.length === 0) return out('(none)');
  out(columns.join('\t'));
  for (const item of items) out(columns.map((column) => String(item[column] ?? '-')).join('\t'));
}

export async function runAdminCli(argv: string[], io: AdminCliIo): Promise<number> {
  const spec = { 'api-url': { type: 'string' }, name: { type: 'string' }, 'expires-in-days': { type: 'string' } } as const;
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof spec }>>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: spec });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [command, ...args] = positionals;
  const request = requestFor(command, args, values);
  if (typeof request === 'string') {
    io.err(`${request}\n${USAGE}`);
    return 2;
  }
  // The same settings npm start reads, so the CLI finds the API where it listens.
  const apiUrl = (values['api-url'] ?? io.env.WATCHPOST_API_URL ?? `http://127.0.0.1:${io.env.WATCHPOST_PORT || '8787'}`).replace(/\/+$/, '');
  const urlFrom = values['api-url'] ? '--api-url' : io.env.WATCHPOST_API_URL ? 'WATCHPOST_API_URL' : 'WATCHPOST_PORT (default 8787)';
  const token =
    io.env.WATCHPOST_ADMIN_TOKEN ??
    (await readFile(join(io.env.WATCHPOST_DATA_DIR ?? '.watchpost', 'admin-token'), 'utf8').then((t) => t.trim()).catch(() => undefined));
  if (!token) {
    io.err('No admin token: set WATCHPOST_ADMIN_TOKEN (or run npm start once to create .watchpost/admin-token).');
    return 2;
  }
  let response: Response;
  try {
    response = await fetch(`${apiUrl}${request.path}`, {
      method: request.method,
      headers: { authorization: `Bearer ${token}`, ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    io.err(`Could not reach the watch API at ${apiUrl} (${cause ?? (error instanceof Error ? error.message : String(error))}): is npm start running? The URL comes from ${urlFrom}; set --api-url or WATCHPOST_API_URL to change it.`);
    return 1;
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown> & { detail?: string; title?: string };
  if (response.status !== request.expect) {
    io.err(`Failed (${response.status}): ${body.detail ?? body.title ?? 'unexpected response'}`);
    return 1;
  }
  request.print(body, io.out);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runAdminCli(process.argv.slice(2), {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then((code) => {
    process.exitCode = code;
  });
}
