import { discordDigest, discordMessage } from './discord-message';
import type { WatchEvent } from './events';
import { slackDigest, slackMessage, type ResourceLinkTemplates } from './slack-message';
import type { ChatChannel } from './subscription';
import { teamsDigest, teamsMessage } from './teams-card';

/** The message a chat channel gets for one event: Slack Block Kit, a Teams Adaptive Card, a Discord embed. */
export function chatMessage(channel: ChatChannel, event: WatchEvent, links: ResourceLinkTemplates = {}): unknown {
  switch (channel) {
    case 'slack':
      return slackMessage(event, links);
    case 'teams':
      return teamsMessage(event, links);
    case 'discord':
      return discordMessage(event, links);
  }
}

/** The one message a chat channel gets for a digest. */
export function chatDigest(channel: ChatChannel, events: readonly WatchEvent[], releaseAt: Date): unknown {
  switch (channel) {
    case 'slack':
      return slackDigest(events, releaseAt);
    case 'teams':
      return teamsDigest(events, releaseAt);
    case 'discord':
      return discordDigest(events, releaseAt);
  }
}
