import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadEnv } from '../config';
import { awsDeliveryService } from './aws-delivery';
import { processDeliveryBatch } from './process-batch';

const env = loadEnv(process.env);
const logger = new Logger({ serviceName: 'watchpost-delivery' });
const service = awsDeliveryService(env, new DynamoDBClient({}), logger);

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => processDeliveryBatch(service, event, logger);
