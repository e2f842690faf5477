import { discordMessage } from './discord-message';
import type { WatchEvent } from './events';
import { slackMessage, type ResourceLinkTemplates } from './slack-message';
import type { ChatChannel } from './subscription';
import { teamsMessage } from './teams-card';

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
