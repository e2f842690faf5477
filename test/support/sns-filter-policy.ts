import type { MessageAttributeValue } from '@aws-sdk/client-sns';

/**
 * Evaluates an SNS subscription filter policy (scope MessageAttributes)
 * against a message's attributes, for the subset Watchpost writes, following
 * the Amazon SNS developer guide ("Subscription filter policies"):
 * - every key of a policy must match (AND); `$or` takes a list of policies,
 *   of which one must match;
 * - a key's list of conditions matches when any one does (OR);
 * - a condition is an exact string, `{"anything-but": string | string[]}`
 *   or `{"exists": boolean}`;
 * - an attribute the message lacks matches only `{"exists": false}`;
 * - a `String.Array` attribute matches when any of its elements does.
 */
export function snsPolicyMatches(policy: Record<string, unknown>, attributes: Record<string, MessageAttributeValue>): boolean {
  return Object.entries(policy).every(([key, value]) => {
    if (key === '$or') return (value as Array<Record<string, unknown>>).some((branch) => snsPolicyMatches(branch, attributes));
    return keyMatches(value as unknown[], attributes[key]);
  });
}

function keyMatches(conditions: unknown[], attribute: MessageAttributeValue | undefined): boolean {
  if (!Array.isArray(conditions)) throw new Error(`a filter policy key takes a list of conditions, got ${JSON.stringify(conditions)}`);
  const values = attribute === undefined ? undefined : attribute.DataType === 'String.Array' ? (JSON.parse(attribute.StringValue ?? '[]') as unknown[]).map(String) : [attribute.StringValue ?? ''];
  return conditions.some((condition) => {
    if (typeof condition === 'string') return values?.includes(condition) ?? false;
    const operator = condition as { 'anything-but'?: string | string[]; exists?: boolean };
    if (operator.exists !== undefined) return operator.exists === (values !== undefined);
    if (operator['anything-but'] !== undefined) {
      const excluded = [operator['anything-but']].flat();
      return values !== undefined && values.some((value) => !excluded.includes(value));
    }
    throw new Error(`condition not supported by this evaluator: ${JSON.stringify(condition)}`);
  });
}
