import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { startTestRuntime } from '../support/local-runtime';
import { startReceiver, type Receiver } from '../support/receiver';

/** Where the run leaves its screenshots (CI keeps them as artifacts; the README names the folder). */
export const SCREENSHOTS = join(process.cwd(), 'test-artifacts', 'console');
const CHROMIUM = process.env.WATCHPOST_CHROMIUM ?? '/usr/bin/chromium';

let runtime: LocalRuntime;
let dataDir: string;
let removeDataDir: () => Promise<void>;
let receiver: Receiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token: string;
const dialogs: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  receiver = await startReceiver();
  ({ runtime, dataDir, removeDataDir } = await startTestRuntime({ env: { WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1' } }));
  token = (await readFile(join(dataDir, 'demo-team-token'), 'utf8')).trim();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: runtime.apiUrl });
  page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    // The delete confirmation is the only dialog the console opens.
    void (dialog.type() === 'confirm' ? dialog.accept() : dialog.dismiss());
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
  await receiver?.close();
  await removeDataDir?.();
});

const row = (text: string) => page.locator('tbody tr', { hasText: text });

describe('the console in a real Chromium, against npm start with the simulator', () => {
  it('signs in with a team token typed and submitted from the keyboard, and shows the demo watches', async () => {
    await page.goto(`${runtime.apiUrl}/console/`);
    await page.getByLabel('Team token').fill('wpt_not_a_real_token');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');

    await page.getByLabel('Team token').fill(token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Watches' }).waitFor();
    await page.locator('tbody tr').first().waitFor();

    expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => sessionStorage.getItem('watchpost.token'))).toBe(token);
    expect(page.url()).not.toContain(token);
  });

  it('shows the API’s field error next to the dataset id for a bad id, and adds a good one', async () => {
    await page.getByLabel('Dataset id').fill('../etc/passwd');
    await page.getByRole('button', { name: 'Add watch' }).click();
    const error = page.locator('#err-dataset');
    await error.waitFor();
    expect(await error.textContent()).not.toBe('');
    expect(await page.getByLabel('Dataset id').getAttribute('aria-invalid')).toBe('true');

    runtime.simulator!.putDataset('ds_console', { status: 'running', progress: { percent: 30, processed_rows: 3, total_rows: 10 } });
    await page.getByLabel('Dataset id').fill('ds_console');
    await page.getByLabel('Label').fill('console run');
    await page.getByRole('button', { name: 'Add watch' }).click();
    await row('console run').waitFor();
    expect(await row('console run').locator('.badge').first().textContent()).toBe('running');
  });

  it('moves the watch to succeeded with its grade without a reload, and draws its timeline', async () => {
    runtime.simulator!.putDataset('ds_console', {
      status: 'succeeded',
      evaluation_summary: { grade_before: 'D', grade_after: 'B', score_before: 0.5, score_after: 0.8, improvement_percent: 60 },
    });
    await runtime.pollOnce();
    await expect.poll(() => row('console run').locator('td[data-label="Status"]').textContent(), { timeout: 10_000 }).toBe('succeeded');
    expect(await row('console run').locator('td[data-label="Grade"]').textContent()).toBe('B');
    await page.screenshot({ path: join(SCREENSHOTS, 'watches.png'), fullPage: true });

    await row('console run').getByRole('link').click();
    const picture = page.locator('svg.timeline');
    await expect.poll(() => picture.locator('rect.bar').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await picture.locator('.lane-label').allTextContents()).toEqual(['running', 'succeeded']);
    expect(await picture.locator('.grade-mark text').allTextContents()).toEqual(['grade – → B']);
    await page.screenshot({ path: join(SCREENSHOTS, 'timeline.png'), fullPage: true });
    await page.locator('ol.events details summary').first().click();
    const json = JSON.parse((await page.locator('ol.events details pre').first().textContent()) ?? '{}') as { type: string; subject: string };
    expect(json).toMatchObject({ type: 'io.watchpost.resource.changed', subject: 'datasets/ds_console' });
    await page.getByRole('link', { name: '← Watches' }).click();
  });

  it('adds a webhook subscription, shows its secret once and copies it', async () => {
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByLabel('URL').fill(`${receiver.url}/hook`);
    await page.getByLabel('Description').fill('console hook');
    await page.getByRole('button', { name: 'Add subscription' }).click();
    const secret = await page.locator('#new-secret').textContent();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();

    expect(secret).toMatch(/^whsec_/);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.locator('li.card', { hasText: 'console hook' }).waitFor();
    // Shown once: after a reload the page has no secret, and the API never returns it.
    await page.reload();
    await page.locator('li.card', { hasText: 'console hook' }).waitFor();
    expect(await page.locator('#new-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
  });

  it('shows a failed delivery with its status code, and retries it', async () => {
    receiver.answer({ status: 500, body: 'boom' });
    runtime.simulator!.putDataset('ds_console', { status: 'running' });
    await runtime.pollOnce();
    const card = page.locator('li.card', { hasText: 'console hook' });
    const failed = card.locator('tr.failed');
    await failed.first().waitFor({ timeout: 10_000 });
    expect(await failed.first().locator('td').nth(2).textContent()).toBe('500');
    const nextRetry = card.locator('dt:has-text("Next retry") + dd');
    await expect.poll(() => nextRetry.textContent(), { timeout: 10_000 }).not.toBe('none waiting');

    await failed.first().getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => card.getByRole('status').textContent(), { timeout: 10_000 }).toContain('Redeliver: done (200)');
    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    // Delivered now: no retry waits for it.
    await expect.poll(() => nextRetry.textContent(), { timeout: 10_000 }).toBe('none waiting');
  });

  it('pauses a watch from the keyboard alone', async () => {
    await page.getByRole('link', { name: 'Watches' }).click();
    const pause = row('console run').getByRole('button', { name: 'Pause' });
    await pause.waitFor();
    // Tab until the row's Pause button has focus, then Enter: no pointer involved.
    for (let presses = 0; presses < 60 && !(await pause.evaluate((el) => el === document.activeElement)); presses++) await page.keyboard.press('Tab');
    expect(await pause.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await row('console run').getByRole('button', { name: 'Resume' }).waitFor();

    expect(await row('console run').locator('.badge', { hasText: 'paused' }).count()).toBe(1);
    const watches = (await (await fetch(`${runtime.apiUrl}/v1/watches?limit=100`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: Array<{ label: string; paused: boolean }> };
    expect(watches.items.find((w) => w.label === 'console run')?.paused).toBe(true);
  });

  it('follows the system’s dark colour scheme', async () => {
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await background();
    await page.emulateMedia({ colorScheme: 'light' });

    expect(light).toBe('rgb(255, 255, 255)');
    expect(dark).toBe('rgb(15, 20, 25)');
  });

  it('renders a hostile label as text: no element, no script', async () => {
    runtime.simulator!.putDataset('ds_xss', { status: 'running' });
    const label = '<img src=x onerror=alert(1)>';
    const created = await fetch(`${runtime.apiUrl}/v1/watches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ resource: { type: 'dataset', datasetId: 'ds_xss' }, label }),
    });
    expect(created.status).toBe(201);
    await row(label).waitFor({ timeout: 10_000 });

    expect(await row(label).locator('a').textContent()).toBe(label);
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs.filter((message) => message.includes('1'))).toEqual([]);
  });

  it('reads at 360 px wide without sideways scrolling', async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    await page.reload();
    await row('console run').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'watches-360.png'), fullPage: true });

    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('goes back to sign-in when the team’s token is revoked while the page is open', async () => {
    const created = (await (
      await fetch(`${runtime.apiUrl}/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'console' }) })
    ).json()) as { id: string; token: string };
    const second = await context.newPage();
    await second.goto(`${runtime.apiUrl}/console/`);
    await second.getByLabel('Team token').fill(created.token);
    await second.keyboard.press('Enter');
    await second.locator('tbody tr').first().waitFor();

    await fetch(`${runtime.apiUrl}/v1/tokens/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    await second.getByLabel('Team token').waitFor({ timeout: 10_000 });

    expect(await second.evaluate(() => sessionStorage.getItem('watchpost.token'))).toBeNull();
    await second.close();
  });

  it('signs out: the token leaves sessionStorage and the sign-in form is back', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Team token').waitFor();

    expect(await page.evaluate(() => sessionStorage.getItem('watchpost.token'))).toBeNull();
    // Nothing the CSP forbids was attempted along the way.
    expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
  });
});
