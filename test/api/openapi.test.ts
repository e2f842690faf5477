import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/api/openapi';
import { ROUTES } from '../../lambdas/api/routes';

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const result = await new Validator().validate(structuredClone(openApiDocument()) as unknown as Parameters<Validator['validate']>[0]);

    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(openApiDocument().openapi).toBe('3.1.0');
  });

  it('lists every route the API serves', () => {
    const documented = Object.entries(openApiDocument().paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('describes request bodies with the schemas the handlers validate with', () => {
    const schemas = openApiDocument().components?.schemas ?? {};

    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(['CreateWatch', 'Resource', 'Watch', 'CreateSubscription', 'Problem']));
    expect(JSON.stringify(schemas.Resource)).toContain('correction_session');
  });
});
