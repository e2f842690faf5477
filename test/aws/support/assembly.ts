import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

/** A CloudFormation resource as `cdk synth` writes it. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface Template {
  Resources: Record<string, CfnResource>;
}

/** One synthesized cloud assembly: the template, and where each function's bundle is. */
export interface Assembly {
  dir: string;
  template: Template;
  /** Logical ids of resources of `type`, in template order. */
  idsOf(type: string): string[];
  resource(logicalId: string): CfnResource;
  /** The directory holding a function's bundle (its `Code` asset). */
  assetDir(functionId: string): string;
  /** The function whose CDK path contains `part`, e.g. `Delivery/Deliverer`. */
  functionId(part: string): string;
}

export const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * `cdk synth` with the given context, into a fresh directory outside the
 * project: as in Lambda's /var/task, no package.json above a bundle says how
 * to load it (the project's says "module"), and no node_modules is there
 * to lend a bundle a package it did not carry.
 */
export async function synthesize(name: string, context: Record<string, string>): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'watchpost-aws-'));
  // No node_modules above the bundle: the bundles carry the SDK they were tested with (nothing
  // external), so a bundle that still imported a package from outside would fail to load here.
  const dir = join(root, name);
  // The default configuration is what `npm run synth` (the end of npm test) writes to cdk.out:
  // reused when nothing it is built from changed since, so CI synthesizes it once.
  if (Object.keys(context).length === 0 && freshDefaultSynth()) {
    cpSync(join(ROOT, 'cdk.out'), dir, { recursive: true });
    return dir;
  }
  const args = ['cdk', 'synth', '--quiet', '--no-notices', '-o', dir, ...Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`])];
  await promisify(execFile)('npx', args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return dir;
}

/** Whether cdk.out is newer than every file the app is built from (and was synthesized with no context of ours). */
function freshDefaultSynth(): boolean {
  const manifest = join(ROOT, 'cdk.out', 'manifest.json');
  if (!existsSync(manifest) || !existsSync(join(ROOT, 'cdk.out', 'Watchpost.template.json'))) return false;
  const synthesized = statSync(manifest).mtimeMs;
  const newest = (path: string): number => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))));
  };
  const sources = ['bin', 'lib', 'lambdas', 'cdk.json', 'package-lock.json', 'tsconfig.json'].map((path) => join(ROOT, path)).filter(existsSync);
  if (Math.max(...sources.map(newest)) >= synthesized) return false;
  // Synthesized with -c watchpost:… on the command line, it may be another configuration: then synthesize afresh.
  const template = JSON.parse(readFileSync(join(ROOT, 'cdk.out', 'Watchpost.template.json'), 'utf8')) as Template;
  const defaults = { WATCHPOST_POLL_SEGMENTS: '1', WATCHPOST_SWEEP_SECONDS: '60', WATCHPOST_POLL_INTERVAL_SECONDS: '60', WATCHPOST_POLL_CONCURRENCY: '16' };
  const pollers = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Metadata?.['aws:cdk:path']).includes('/Poller/'));
  const variables = (pollers[0]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return pollers.length === 1 && Object.entries(defaults).every(([key, value]) => variables[key] === value);
}

/** Removes what synthesize made. */
export function removeAssembly(dir: string): void {
  rmSync(dirname(dir), { recursive: true, force: true });
}

export function readAssembly(dir: string, stack = 'Watchpost'): Assembly {
  const template = JSON.parse(readFileSync(join(dir, `${stack}.template.json`), 'utf8')) as Template;
  const resource = (logicalId: string): CfnResource => {
    const found = template.Resources[logicalId];
    if (!found) throw new Error(`the template has no resource ${logicalId}`);
    return found;
  };
  return {
    dir,
    template,
    idsOf: (type) => Object.entries(template.Resources).filter(([, r]) => r.Type === type).map(([id]) => id),
    resource,
    assetDir(functionId) {
      const path = resource(functionId).Metadata?.['aws:asset:path'];
      if (typeof path !== 'string') throw new Error(`${functionId} has no bundled asset`);
      return join(dir, path);
    },
    functionId(part) {
      const ids = Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && String(r.Metadata?.['aws:cdk:path'] ?? '').includes(`/${part}/`))
        .map(([id]) => id);
      if (ids.length !== 1) throw new Error(`expected one function under ${part}, found ${ids.length}`);
      return ids[0] as string;
    },
  };
}
