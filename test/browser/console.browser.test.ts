import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { startTestRuntime } from '../support/local-runtime';
import { startReceiver, type Receiver } from '../support/receiver';
import { axeProblems, brokenWords, overflowingElements, type Layout } from './page-checks';

/** Where the run leaves its screenshots (CI keeps them as artifacts; the README names the folder). */
export const SCREENSHOTS = join(process.cwd(), 'test-artifacts', 'console');
const CHROMIUM = process.env.WATCHPOST_CHROMIUM ?? '/usr/bin/chromium';

let runtime: LocalRuntime;
let dataDir: string;
let removeDataDir: () => Promise<void>;
let receiver: Receiver;
/** A receiver that always fails, and one that says it is gone for good. */
let failing: Receiver;
let gone: Receiver;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token: string;
const dialogs: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  receiver = await startReceiver();
  failing = await startReceiver({ status: 500, body: 'upstream exploded' });
  gone = await startReceiver({ status: 410, body: 'gone' });
  ({ runtime, dataDir, removeDataDir } = await startTestRuntime({ env: { WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1', WATCHPOST_SWEEPS: '0' } }));
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
  await failing?.close();
  await gone?.close();
  await removeDataDir?.();
});

const row = (text: string) => page.locator('tbody tr', { hasText: text });
const call = async (method: string, path: string, body?: unknown) =>
  (await fetch(`${runtime.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) })).json() as Promise<Record<string, unknown>>;

/** Every page in light, dark and phone layouts: no serious or critical axe finding, nothing wider than the screen, no word split. */
async function checkEveryLayout(name: string, ready: () => Promise<unknown>) {
  const layouts: Layout[] = [
    { name: 'light', width: 1280, colorScheme: 'light' },
    { name: 'dark', width: 1280, colorScheme: 'dark' },
    { name: 'phone', width: 390, colorScheme: 'light' },
  ];
  for (const layout of layouts) {
    await page.setViewportSize({ width: layout.width, height: 900 });
    await page.emulateMedia({ colorScheme: layout.colorScheme });
    await ready();
    expect(await axeProblems(page), `${name}, ${layout.name}`).toEqual([]);
    if (layout.width < 640) {
      expect(await overflowingElements(page), `${name}: wider than a ${layout.width} px screen`).toEqual([]);
      expect(await brokenWords(page), `${name}: words split across lines`).toEqual([]);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('the console in a real Chromium, against npm start with the simulator', () => {
  it('signs in with a team token typed and submitted from the keyboard, and shows the demo watches', async () => {
    await page.goto(`${runtime.apiUrl}/console/`);
    expect(await page.title()).toBe('Sign in · Watchpost');
    expect(await page.locator('#token-source').textContent()).toContain('.watchpost/demo-team-token');
    expect(await page.locator('#token-source').textContent()).toContain('npm run admin -- create-token');
    await checkEveryLayout('sign-in', () => page.getByLabel('Team token').waitFor());
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
    expect(await row('console run').locator('td[data-label="State"] .badge').textContent()).toBe('running');
  });

  it('moves the watch to succeeded with its grade without a reload, and draws its timeline', async () => {
    runtime.simulator!.putDataset('ds_console', {
      status: 'succeeded',
      evaluation_summary: { grade_before: 'D', grade_after: 'B', score_before: 0.5, score_after: 0.8, improvement_percent: 60 },
    });
    await runtime.pollOnce();
    await expect.poll(() => row('console run').locator('td[data-label="State"] .badge').textContent(), { timeout: 10_000 }).toBe('succeeded');
    expect(await row('console run').locator('td[data-label="Last change"] time').textContent()).toMatch(/now|sec|min/);
    expect(await row('console run').locator('td[data-label="Last change"] time').getAttribute('title')).toMatch(/\d{4}, \d\d:\d\d:\d\d [A-Z+\-0-9:]+/);
    expect(await row('console run').locator('td[data-label="Grade"]').textContent()).toBe('B');
    await page.screenshot({ path: join(SCREENSHOTS, 'watches.png'), fullPage: true });

    await row('console run').getByRole('link').click();
    const picture = page.locator('svg.timeline');
    await expect.poll(() => picture.locator('rect.bar').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await picture.locator('.lane-label').allTextContents()).toEqual(['running', 'succeeded']);
    expect(await picture.locator('.grade-mark text').allTextContents()).toEqual(['grade – → B']);
    expect(await picture.locator('.now-mark text').textContent()).toBe('now');
    expect(await picture.locator('.axis text').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('ul.events summary').first().textContent()).toContain('Run finished (running → succeeded): grade – → B');
    expect(await page.title()).toBe('console run · Watchpost');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    await checkEveryLayout('watch page', () => picture.locator('rect.bar').first().waitFor());
    // Drawn at the phone's width, its text keeps 12 px (at least 11) instead of shrinking with the picture.
    await page.setViewportSize({ width: 390, height: 900 });
    await expect.poll(() => picture.evaluate((svg) => svg.getBoundingClientRect().width)).toBeLessThanOrEqual(390);
    const sizes = await picture.locator('text').evaluateAll((texts) => texts.map((t) => t.getBoundingClientRect().height));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(SCREENSHOTS, 'timeline.png'), fullPage: true });
    await page.locator('ul.events details summary').first().click();
    const json = JSON.parse((await page.locator('ul.events details pre').first().textContent()) ?? '{}') as { type: string; subject: string };
    expect(json).toMatchObject({ type: 'io.watchpost.resource.changed', subject: 'datasets/ds_console' });
    await page.getByRole('link', { name: '← Watches' }).click();
  });

  it('shows a gone watch as gone, with no progress and nothing to pause or edit', async () => {
    runtime.simulator!.putDataset('ds_gone', { status: 'running', progress: { percent: 40, processed_rows: 4, total_rows: 10 } });
    await call('POST', '/v1/watches', { resource: { type: 'dataset', datasetId: 'ds_gone' }, label: 'gone run' });
    runtime.simulator!.datasets.delete('ds_gone');
    await runtime.pollOnce();

    await expect.poll(() => row('gone run').locator('td[data-label="State"] .badge').textContent(), { timeout: 10_000 }).toBe('gone');
    expect(await row('gone run').locator('progress').count()).toBe(0);
    expect(await row('gone run').getByRole('button', { name: /^(Pause|Edit) / }).count()).toBe(0);
    expect(await row('gone run').getByRole('button', { name: 'Delete gone run' }).count()).toBe(1);
  });

  it('shows a failing watch first, with its failure count and since when, and counts it in the summary', async () => {
    runtime.simulator!.putDataset('ds_failing', { status: 'pending' });
    await call('POST', '/v1/watches', { resource: { type: 'dataset', datasetId: 'ds_failing' }, label: 'flaky run' });
    runtime.simulator!.addFault({ path: '/api/v1/datasets/ds_failing', status: 503 });
    for (let tick = 0; tick < 5; tick++) await runtime.pollOnce();

    const state = row('flaky run').locator('td[data-label="State"]');
    await expect.poll(() => state.locator('.badge').textContent(), { timeout: 10_000 }).toBe('failing ×5');
    expect(await state.textContent()).toContain('since');
    expect(await page.locator('tbody tr').first().getAttribute('data-state')).toBe('failing');
    expect(await page.getByTestId('summary').textContent()).toBe('1 watch failing · 1 watch gone · 2 changes in the last hour');
    await page.screenshot({ path: join(SCREENSHOTS, 'watches.png'), fullPage: true });
    runtime.simulator!.clearFaults();
    await checkEveryLayout('watches', () => row('flaky run').waitFor());
  });

  it('keeps stale data on screen, marked stale, when the API cannot be reached', async () => {
    const watchList = (url: URL) => url.pathname === '/v1/watches';
    await page.route(watchList, (route) => route.abort('connectionrefused'));
    const banner = page.getByRole('alert').filter({ hasText: 'could not be reached' });
    await banner.waitFor({ timeout: 10_000 });

    expect(await banner.textContent()).toContain('Showing what it said');
    expect(await page.locator('table.watches').getAttribute('class')).toContain('stale');
    expect(await row('console run').count()).toBe(1);
    await page.unroute(watchList);
    await banner.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('adds a webhook subscription, shows its secret once and copies it', async () => {
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByLabel('URL').fill(`${receiver.url}/hook`);
    await page.getByLabel('Description').fill('console hook');
    await page.getByRole('button', { name: 'Add subscription' }).click();
    const secret = await page.locator('#new-secret').textContent();
    expect(await page.locator('.secret').textContent()).toContain('Signing secret for webhook · console hook (sub_');
    await page.getByRole('button', { name: /^Copy the secret for webhook · console hook/ }).click();
    await page.getByRole('button', { name: /^Copied the secret/ }).waitFor();

    expect(secret).toMatch(/^whsec_/);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await row('console hook').waitFor();
    // Shown once: after a reload the page has no secret, and the API never returns it.
    await page.reload();
    await row('console hook').waitFor();
    expect(await page.locator('#new-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
  });

  it('shows a failing, a disabled and a healthy email subscription for what they are, with true 24 h figures', async () => {
    await call('POST', '/v1/subscriptions', { channel: 'webhook', url: `${failing.url}/hook`, description: 'broken hook' });
    await call('POST', '/v1/subscriptions', { channel: 'webhook', url: `${gone.url}/hook`, description: 'retired hook' });
    await call('POST', '/v1/subscriptions', { channel: 'email', address: 'oncall@corp.example', description: 'on-call mail' });
    receiver.answer({ status: 500, body: 'boom' });
    runtime.simulator!.putDataset('ds_console', { status: 'running' });
    await runtime.pollOnce();

    const health = (name: string) => row(name).locator('td[data-label="Health"] .badge');
    await expect.poll(() => health('broken hook').textContent(), { timeout: 10_000 }).toBe('failing');
    await expect.poll(() => health('retired hook').textContent(), { timeout: 10_000 }).toBe('disabled');
    await expect.poll(() => health('on-call mail').textContent(), { timeout: 10_000 }).toBe('healthy');
    // The local retry loop may have tried it again meanwhile: every try failed.
    expect(await row('broken hook').locator('td[data-label="Delivered (24 h)"]').textContent()).toMatch(/^0%0 delivered, [1-9]\d* failed$/);
    expect(await row('retired hook').locator('td[data-label="Health"]').textContent()).toContain('receiver answered 410 Gone');
    // The change, and the flaky watch's recovery from the same poll.
    expect(await row('on-call mail').locator('td[data-label="Delivered (24 h)"]').textContent()).toMatch(/^100%[1-9]\d* delivered, 0 failed$/);
    // Attention first: the disabled and the failing ones lead the list.
    expect((await page.locator('tbody tr').first().getAttribute('data-state'))?.match(/disabled|failing/)).not.toBeNull();
    // The console hook failed its first event (500) and may have taken the second (the recovery): failing or degraded.
    const states = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    const failingCount = states.filter((state) => state === 'failing').length;
    expect(await page.getByTestId('summary').textContent()).toMatch(
      new RegExp(`^${failingCount} endpoints? failing · [23] at 0% · ${failingCount === 1 ? '1 degraded · ' : ''}1 disabled · 1 healthy$`),
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'subscriptions.png'), fullPage: true });
    await checkEveryLayout('subscriptions', () => row('on-call mail').waitFor());
  });

  it('opens a subscription’s page: figures, the failed attempt with its answer, and one Resend that delivers it', async () => {
    await row('console hook').getByRole('link').click();
    await page.getByRole('heading', { name: 'webhook · console hook' }).waitFor();
    expect(await page.title()).toBe('webhook · console hook · Watchpost');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    const failedRow = page.locator('tr.result-failed').first();
    await failedRow.waitFor({ timeout: 10_000 });
    expect(await failedRow.locator('td[data-label="Answer"]').textContent()).toContain('500');
    expect(await failedRow.locator('td[data-label="Event"] a').textContent()).toBe('Run started (succeeded → running)');
    const nextRetry = page.locator('dt:has-text("Next retry") + dd');

    const resend = page.getByRole('button', { name: /^Resend Run started \(succeeded → running\) \(evt_/ });
    expect(await resend.count()).toBe(1);
    const eventId = /\((evt_\w+)\)$/.exec((await resend.getAttribute('aria-label')) ?? '')?.[1];
    await resend.click();
    await expect.poll(() => page.getByRole('status').first().textContent(), { timeout: 10_000 }).toContain('Resend: done (200)');
    // Sent again under its own id: the receiver deduplicates on it.
    expect(receiver.received.filter((r) => r.headers['webhook-id'] === eventId).length).toBeGreaterThanOrEqual(2);
    await expect.poll(() => nextRetry.textContent(), { timeout: 10_000 }).toBe('none waiting');
    await page.getByLabel('Failed only').check();
    const rows = page.locator('table.attempts tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(1);
    expect(await rows.evaluateAll((trs) => trs.every((tr) => tr.classList.contains('result-failed')))).toBe(true);
    await page.getByLabel('Failed only').uncheck();
    await page.screenshot({ path: join(SCREENSHOTS, 'subscription.png'), fullPage: true });
    await checkEveryLayout('subscription page', () => page.locator('table.attempts').waitFor());
  });

  it('edits the filter with the API’s field message beside the field, then saves it', async () => {
    await page.getByLabel(/^New statuses/).fill('x'.repeat(65));
    await page.getByRole('button', { name: 'Save filter' }).click();
    const message = page.locator('#err-filter-statuses');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/64/);
    expect(await page.getByLabel(/^New statuses/).getAttribute('aria-describedby')).toBe('err-filter-statuses');

    await page.getByLabel(/^New statuses/).fill('succeeded, failed');
    await page.getByRole('checkbox', { name: 'resource.changed' }).check();
    await page.getByRole('button', { name: 'Save filter' }).click();
    await page.getByText('Saved.').waitFor();
    await expect.poll(() => page.locator('dt:has-text("Filter") + dd').textContent(), { timeout: 10_000 }).toBe('{"statuses":["succeeded","failed"],"eventTypes":["resource.changed"]}');
  });

  it('rotates the secret, shown once and labelled with its subscription', async () => {
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const panel = page.locator('.secret');
    await panel.waitFor();

    expect(await panel.textContent()).toMatch(/^Signing secret for webhook · console hook \(sub_\w+\): shown this once\. The old secret keeps signing until /);
    expect(await page.locator('#new-secret').textContent()).toMatch(/^whsec_/);
    expect(dialogs.at(-1)).toContain('new signing secret');
  });

  it('deletes the subscription after asking, and it leaves the list', async () => {
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();

    expect(dialogs.at(-1)).toMatch(/^Delete webhook · console hook\?/);
    await expect.poll(() => row('console hook').count(), { timeout: 10_000 }).toBe(0);
  });

  it('answers an unknown page and an unknown subscription with a not-found page', async () => {
    await page.goto(`${runtime.apiUrl}/console/#/nowhere`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await page.goto(`${runtime.apiUrl}/console/#/subscriptions/sub_nope`);
    await page.getByText('This team has no such subscription').waitFor({ timeout: 10_000 });
    expect(await page.title()).toBe('Not found · Watchpost');
    await checkEveryLayout('not found', () => page.getByRole('heading', { name: 'Not found' }).waitFor());
    await page.goto(`${runtime.apiUrl}/console/#/watches`);
  });

  it('offers a skip link first, which moves focus to the page heading', async () => {
    await page.reload();
    await row('console run').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('page-title');
    expect(page.url()).toMatch(/#\/watches$/);
  });

  it('pauses a watch from the keyboard alone', async () => {
    await page.getByRole('link', { name: 'Watches' }).click();
    const pause = row('console run').getByRole('button', { name: 'Pause console run' });
    await pause.waitFor();
    // Tab until the row's Pause button has focus, then Enter: no pointer involved.
    for (let presses = 0; presses < 60 && !(await pause.evaluate((el) => el === document.activeElement)); presses++) await page.keyboard.press('Tab');
    expect(await pause.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await row('console run').getByRole('button', { name: 'Resume console run' }).waitFor();

    expect(await row('console run').locator('td[data-label="State"] .badge').textContent()).toBe('paused');
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
    expect(await overflowingElements(page)).toEqual([]);
    expect(await brokenWords(page)).toEqual([]);
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
