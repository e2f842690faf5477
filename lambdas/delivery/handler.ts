import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadEnv } from '../config';
import { awsDeliveryService } from './aws-delivery';
import { processDeliveryBatch } from './process-batch';

const env = loadEnv(process.env);
const logger = new Logger({ serviceName: 'watchpost-delivery' });
const service = awsDeliveryService(env, new DynamoDBClient({}), logger);

/** Time kept back at the end of an invocation: the last POST started must be able to finish. */
const RESERVE_MS = env.WATCHPOST_DELIVERY_TIMEOUT_MS + 5_000;

export const handler = (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
  const remaining = context?.getRemainingTimeInMillis() ?? 60_000;
  return processDeliveryBatch(service, event, logger, { signal: AbortSignal.timeout(Math.max(0, remaining - RESERVE_MS)) });
};
