#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from '../lib/config';
import { WatchpostStack } from '../lib/watchpost-stack';

const app = new App();
new WatchpostStack(app, 'Watchpost', {
  description: 'Watchpost: status-change notifier for DeepOpinion correction sessions and Adaption Labs datasets',
  config: configFromContext((key) => app.node.tryGetContext(key)),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
