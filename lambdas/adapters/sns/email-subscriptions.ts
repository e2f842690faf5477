import { GetSubscriptionAttributesCommand, NotFoundException, SetSubscriptionAttributesCommand, SubscribeCommand, UnsubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { currentSnsFilterPolicy, type Subscription, type SubscriptionStatus } from '../../domain/subscription';

/** Email subscriptions: who sends the mail and how confirmation works. */
export interface EmailSubscriptions {
  subscribe(subscription: Subscription): Promise<{ status: SubscriptionStatus; snsSubscriptionArn?: string }>;
  /** The current status of a pending subscription (the recipient may have confirmed). */
  refresh(subscription: Subscription): Promise<SubscriptionStatus>;
  unsubscribe(subscription: Subscription): Promise<void>;
  /** Puts the subscription's current filter (or, paused, one that matches nothing) in place. */
  updateFilter(subscription: Subscription): Promise<void>;
}

const PENDING = 'pending confirmation';

/**
 * Native SNS email subscriptions on the change topic, scoped to the team and
 * the subscription's filter by a filter policy. SNS sends the confirmation
 * mail and the notifications (the `email` text of each message).
 */
export class SnsEmailSubscriptions implements EmailSubscriptions {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async subscribe(subscription: Subscription): Promise<{ status: SubscriptionStatus; snsSubscriptionArn?: string }> {
    const result = await this.client.send(
      new SubscribeCommand({
        TopicArn: this.topicArn,
        Protocol: 'email',
        Endpoint: subscription.address,
        Attributes: { FilterPolicy: JSON.stringify(currentSnsFilterPolicy(subscription)), FilterPolicyScope: 'MessageAttributes' },
        ReturnSubscriptionArn: true,
      }),
    );
    const arn = result.SubscriptionArn;
    return arn && arn !== PENDING ? { status: 'pending_confirmation', snsSubscriptionArn: arn } : { status: 'pending_confirmation' };
  }

  async refresh(subscription: Subscription): Promise<SubscriptionStatus> {
    if (!subscription.snsSubscriptionArn) return subscription.status;
    try {
      const result = await this.client.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription.snsSubscriptionArn }));
      return result.Attributes?.PendingConfirmation === 'false' ? 'active' : 'pending_confirmation';
    } catch (error) {
      // An unconfirmed subscription expires after three days.
      if (error instanceof NotFoundException) return 'disabled';
      throw error;
    }
  }

  async updateFilter(subscription: Subscription): Promise<void> {
    if (!subscription.snsSubscriptionArn) throw new Error('this email subscription has no SNS subscription ARN to update');
    await this.client.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: subscription.snsSubscriptionArn,
        AttributeName: 'FilterPolicy',
        AttributeValue: JSON.stringify(currentSnsFilterPolicy(subscription)),
      }),
    );
  }

  async unsubscribe(subscription: Subscription): Promise<void> {
    if (!subscription.snsSubscriptionArn) return;
    try {
      await this.client.send(new UnsubscribeCommand({ SubscriptionArn: subscription.snsSubscriptionArn }));
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
    }
  }
}

/** Local runtime: no confirmation step; the in-process delivery writes the mail to mail.log. */
export const localEmailSubscriptions: EmailSubscriptions = {
  subscribe: async () => ({ status: 'active' }),
  refresh: async (subscription) => subscription.status,
  unsubscribe: async () => undefined,
  // The in-process delivery reads the stored filter and pause on every event.
  updateFilter: async () => undefined,
};
