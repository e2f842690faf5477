import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * `npm run admin -- create-team <name>`: the operator's way to create a team
 * and get its token, through the watch API (local or deployed).
 *
 *   WATCHPOST_API_URL      default http://127.0.0.1:8787
 *   WATCHPOST_ADMIN_TOKEN  default: the local one in $WATCHPOST_DATA_DIR/admin-token
 */
export interface AdminCliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = 'usage: npm run admin -- create-team <name> [--api-url URL]';

export async function runAdminCli(argv: string[], io: AdminCliIo): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { 'api-url': { type: 'string' } } });
  const [command, name] = positionals;
  if (command !== 'create-team' || !name) {
    io.err(USAGE);
    return 2;
  }
  const apiUrl = (values['api-url'] ?? io.env.WATCHPOST_API_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
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
    io.err(`Could not reach ${apiUrl}: ${error instanceof Error ? error.message : String(error)}`);
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
