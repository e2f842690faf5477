import { appendFile } from 'node:fs/promises';
import { eventHeadline, type WatchEvent } from '../domain/events';
import type { EventPublisher, PublishResult } from '../domain/ports';

/**
 * The local stand-in for the SNS topic: prints each event's headline and
 * appends the CloudEvent to a JSON Lines file. Listeners (the local delivery
 * loop) hear about each event after it is written, and a publish is done only
 * once they have finished: one that fails fails the publish, so the events
 * stay in the outbox and are published again under the same ids.
 */
export class JsonlPublisher implements EventPublisher {
  private readonly listeners: Array<(events: WatchEvent[]) => Promise<void> | void> = [];

  constructor(
    private readonly file: string,
    private readonly print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  onPublish(listener: (events: WatchEvent[]) => Promise<void> | void): void {
    this.listeners.push(listener);
  }

  async publish(events: WatchEvent[]): Promise<PublishResult> {
    if (events.length === 0) return { failedIds: [], errors: [] };
    await appendFile(this.file, events.map((event) => `${JSON.stringify(event)}\n`).join(''), { encoding: 'utf8', mode: 0o600 });
    // Team and label first: two teams watching one dataset get two lines that say whose they are.
    for (const event of events) {
      const watch = event.data.label ? `"${event.data.label}"` : event.data.watchId;
      this.print(`[event] ${event.time} team ${event.data.team} · ${watch} · ${eventHeadline(event)}  (${event.type}, ${event.id})`);
    }
    for (const listener of this.listeners) await listener(events);
    return { failedIds: [], errors: [] };
  }
}
