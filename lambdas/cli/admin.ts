import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * `npm run admin -- create-team <name>`: the operator's way to create a team
 * and get its token, through the watch API (local or deployed).
 *
 *   WATCHPOST_API_URL      default http://127.0.0.1:$WATCHPOST_PORT (8787), as npm start listens
 *   WATCHPOST_ADMIN_TOKEN  default: the local one in $WATCHPOST_DATA_DIR/admin-token
 */
export interface AdminCliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = 'usage: npm run admin -- create-team <name> [--api-url URL]   (or WATCHPOST_API_URL; default http://127.0.0.1:$WATCHPOST_PORT)';

export async function runAdminCli(argv: string[], io: AdminCliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: { 'api-url': { type: 'string' } } }>>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { 'api-url': { type: 'string' } } });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [command, name] = positionals;
  if (command !== 'create-team' || !name) {
    io.err(USAGE);
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
    response = await fetch(`${apiUrl}/v1/admin/teams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    io.err(`Could not reach the watch API at ${apiUrl} (${cause ?? (error instanceof Error ? error.message : String(error))}): is npm start running? The URL comes from ${urlFrom}; set --api-url or WATCHPOST_API_URL to change it.`);
    return 1;
  }
  const body = (await response.json().catch(() => ({}))) as { team?: { id: string }; token?: string; detail?: string; title?: string };
  if (response.status !== 201 || !body.token) {
    io.err(`Failed (${response.status}): ${body.detail ?? body.title ?? 'unexpected response'}`);
    return 1;
  }
  io.out(`Team "${body.team?.id}" created. Its token (shown once, store it now):`);
  io.out(body.token);
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
