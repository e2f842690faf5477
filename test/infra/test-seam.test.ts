import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TEST_RECEIVERS_VARIABLE } from '../../lambdas/adapters/http/test-receivers';
import { WatchpostStack } from '../../lib/watchpost-stack';

/** Asset bundling is skipped: only the functions' environments matter here. */
function app() {
  return new App({ outdir: mkdtempSync(join(tmpdir(), 'watchpost-seam-')), context: { 'aws:cdk:bundling-stacks': [] } });
}
const env = { account: '123456789012', region: 'eu-west-1' };

describe("the SSRF guard's test seam cannot be switched on by the stack", () => {
  it.each([
    ['default', {}],
    ['fan-out', { pollSegments: 4, sweepSeconds: 15 }],
  ])('no function of the %s template carries its variable, nor any other WATCHPOST_TEST_ one', (_name, config) => {
    const stack = new WatchpostStack(app(), 'Watchpost', { config, env });
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const fn of functions) {
      const variables = Object.keys((fn as { Properties: { Environment?: { Variables?: object } } }).Properties.Environment?.Variables ?? {});
      expect(variables.length).toBeGreaterThan(0);
      expect(variables.filter((name) => name.startsWith('WATCHPOST_TEST_'))).toEqual([]);
    }
  });

  it('fails synthesis, naming the function, when anything adds the variable to a function', () => {
    const scope = app();
    const stack = new WatchpostStack(scope, 'Watchpost', { env });
    stack.delivery.function.addEnvironment(TEST_RECEIVERS_VARIABLE, 'http://127.0.0.1:4100');

    expect(() => scope.synth()).toThrow(/Watchpost\/Delivery\/Deliverer\/Function\/Resource: sets WATCHPOST_TEST_LOOPBACK_RECEIVERS, the SSRF guard's test seam/);
  });

  it('synthesizes as before without it', () => {
    const scope = app();
    new WatchpostStack(scope, 'Watchpost', { env });
    expect(() => scope.synth()).not.toThrow();
  });
});
