import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { TeamNotices } from '../../delivery/ports';
import { noticeEmailText, noticeHeadline, type SubscriptionDisabledNotice } from '../../domain/subscription-notice';

/**
 * Notices go on the same topic as change events, with only the attributes
 * every email filter policy's notices branch matches (team and eventType), so
 * each email subscription of the team gets one and no other team's does. The
 * delivery queue's subscription refuses the notice types: Slack and webhooks
 * never receive them.
 */
export class SnsTeamNotices implements TeamNotices {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async subscriptionDisabled(notice: SubscriptionDisabledNotice): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: noticeHeadline(notice),
        MessageStructure: 'json',
        Message: JSON.stringify({ default: JSON.stringify(notice), email: noticeEmailText(notice) }),
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: notice.type },
          team: { DataType: 'String', StringValue: notice.data.team },
        },
      }),
    );
  }
}
