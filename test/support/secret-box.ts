import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSecretBox } from '../../lambdas/adapters/crypto/local-secret-box';

let box: Promise<LocalSecretBox> | undefined;

/** The local secret box over a key file of its own, one per test process. */
export function testSecretBox(): Promise<LocalSecretBox> {
  box ??= LocalSecretBox.fromKeyFile(join(mkdtempSync(join(tmpdir(), 'watchpost-key-')), 'secret-key'));
  return box;
}
