// Signing in, in Chromium against a real server and its simulated bench. Open mode (loopback, no user) says so on
// every page; once users exist the page asks to sign in, a wrong password is refused in words, an operator sets a
// voltage, a viewer sees the instrument's controls disabled with the reason (and the server refuses the set
// anyway), everyone signs out, and an admin manages users and tokens (a new token shown once) and reads the audit
// log. A screenshot of the Admin panel goes to docs/screenshots/admin.png (when missing, or with
// LABLINK_SCREENSHOTS=1).

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { type BenchServer, ensureWebBuild, startBenchServer } from './support/server.js';

const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
/** Generous: the suite shares two cores with the others. */
const LIVE_TIMEOUT = { timeout: 30_000, interval: 200 };
const PASSWORD = 'correct horse battery';

interface Equipment {
  id: string;
  type: string;
}

describe.skipIf(!chromiumAvailable('signing in'))('signing in and roles in Chromium', () => {
  let server: BenchServer;
  let browser: Browser;
  let page: Page;
  let psu: Equipment;
  const pageErrors: string[] = [];

  const signInForm = () => page.getByRole('form', { name: 'Sign in' });
  const userMenu = () => page.getByRole('region', { name: 'Signed in' });
  const setpoint = () => page.getByLabel('CH1 voltage setpoint', { exact: true });
  const estop = () => page.getByRole('button', { name: 'Emergency stop', exact: true });

  async function signIn(username: string, password = PASSWORD): Promise<void> {
    await expect.poll(() => signInForm().isVisible(), LIVE_TIMEOUT).toBe(true);
    await signInForm().getByLabel('Username').fill(username);
    await signInForm().getByLabel('Password').fill(password);
    await signInForm().getByRole('button', { name: 'Sign in' }).click();
  }

  async function signOut(): Promise<void> {
    await userMenu().getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => signInForm().isVisible(), LIVE_TIMEOUT).toBe(true);
  }

  /** The instrument page of the supply, once its live values arrive. */
  async function openSupply(): Promise<void> {
    await page.goto(`${server.url}/#/equipment/${psu.id}`);
    await expect.poll(() => setpoint().count(), LIVE_TIMEOUT).toBe(1);
  }

  beforeAll(async () => {
    ensureWebBuild();
    server = await startBenchServer();
    const list = (await (await fetch(`${server.url}/api/equipment/list`)).json()) as Equipment[];
    psu = list.find((e) => e.type === 'power_supply') as Equipment;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('says so in open mode, and asks to sign in once a user exists', async () => {
    await page.goto(`${server.url}/`);
    const notice = page.getByRole('note').filter({ hasText: 'Open mode' });
    await expect
      .poll(() => notice.textContent(), LIVE_TIMEOUT)
      .toBe('Open mode — no sign-in (this server listens on this computer only)');
    expect(await userMenu().count()).toBe(0);

    // Users created through the server's services, as `lablink user add` does.
    await server.services.auth.addUser('ada', PASSWORD, 'admin');
    await server.services.auth.addUser('otto', PASSWORD, 'operator');
    await server.services.auth.addUser('vic', PASSWORD, 'viewer');
    await page.reload();
    await expect.poll(() => signInForm().isVisible(), LIVE_TIMEOUT).toBe(true);
    expect(await notice.count()).toBe(0);
  }, 90_000);

  it('refuses a wrong password in words', async () => {
    await signIn('otto', 'not the password');
    await expect
      .poll(() => signInForm().getByRole('alert').textContent(), LIVE_TIMEOUT)
      .toBe('Wrong username or password.');
    await expect.poll(() => signInForm().isVisible(), LIVE_TIMEOUT).toBe(true);
  }, 60_000);

  it('signs an operator in, who sets a voltage', async () => {
    await signIn('otto');
    await expect.poll(() => userMenu().textContent(), LIVE_TIMEOUT).toContain('otto');
    expect(await userMenu().textContent()).toContain('operator');
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await openSupply();
    await expect.poll(() => setpoint().isEnabled(), LIVE_TIMEOUT).toBe(true);
    await setpoint().fill('4');
    await setpoint().press('Enter');
    await expect.poll(() => setpoint().inputValue(), LIVE_TIMEOUT).toBe('4.000');
    await signOut();
  }, 90_000);

  it('shows a viewer the controls disabled with the reason, and the server refuses the set anyway', async () => {
    await signIn('vic');
    await expect.poll(() => userMenu().textContent(), LIVE_TIMEOUT).toContain('viewer');
    await openSupply();
    const article = page.getByRole('article');
    await expect.poll(() => article.getAttribute('data-controls'), LIVE_TIMEOUT).toBe('disabled');
    await expect
      .poll(() => article.locator('.controls-blocked').textContent(), LIVE_TIMEOUT)
      .toBe('Your role (viewer) can watch but not control.');
    expect(await setpoint().isDisabled()).toBe(true);
    expect(await page.getByRole('switch', { name: 'CH1 output' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Disconnect' }).isDisabled()).toBe(true);
    // The emergency stop stays for everyone signed in.
    expect(await estop().isEnabled()).toBe(true);
    // The readings are still live for a viewer.
    await expect.poll(() => setpoint().inputValue(), LIVE_TIMEOUT).toBe('4.000');

    // Sent anyway, with the viewer's session: refused, and nothing changed.
    const refused = await page.evaluate(async (id) => {
      const response = await fetch(`/api/equipment/${id}/command`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'set_voltage', parameters: { channel: 1, voltage: 7 } }),
      });
      return { status: response.status, body: (await response.json()) as { code?: string } };
    }, psu.id);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');
    const readings = await page.evaluate(
      async (id) =>
        (await (await fetch(`/api/equipment/${id}/readings?channel=1`)).json()) as { voltage_set?: number },
      psu.id,
    );
    expect(readings.voltage_set).toBe(4);

    // The other panels' operator actions: disabled with the same reason, or not offered.
    await page.goto(`${server.url}/#/acquisition`);
    await expect
      .poll(() => page.locator('.role-blocked').first().textContent(), LIVE_TIMEOUT)
      .toBe('Your role (viewer) can watch but not control');
    await page.goto(`${server.url}/#/scheduler`);
    await expect
      .poll(() => page.getByRole('region', { name: 'Scheduled jobs' }).count(), LIVE_TIMEOUT)
      .toBe(1);
    expect(await page.getByRole('link', { name: 'New job' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await signOut();
  }, 90_000);

  it('lets an admin manage users and tokens and read the audit log', async () => {
    await signIn('ada');
    await expect.poll(() => userMenu().textContent(), LIVE_TIMEOUT).toContain('admin');
    await page.getByRole('link', { name: 'Admin' }).click();
    const users = page.getByRole('region', { name: 'Users' });
    await expect
      .poll(() => users.getByRole('cell', { name: 'vic', exact: true }).count(), LIVE_TIMEOUT)
      .toBe(1);

    // A token: shown once, with a copy button; listed afterwards without its secret.
    const tokens = page.getByRole('region', { name: 'API tokens' });
    await tokens.getByLabel('Token name').fill('nightly-script');
    await tokens.getByLabel('Role of the new token').selectOption('operator');
    await tokens.getByRole('button', { name: 'Create token' }).click();
    const secret = tokens.locator('.token-secret');
    await expect
      .poll(async () => (await secret.count()) && secret.textContent(), LIVE_TIMEOUT)
      .toMatch(/^ll_/);
    expect(await tokens.getByRole('button', { name: 'Copy' }).count()).toBe(1);
    await expect
      .poll(() => tokens.getByRole('cell', { name: 'nightly-script', exact: true }).count(), LIVE_TIMEOUT)
      .toBe(1);
    const token = (await secret.textContent()) as string;
    expect(await tokens.locator('table').textContent()).not.toContain(token);

    // The audit log, newest first: the sign-ins and the refused password are there.
    const audit = page.getByRole('region', { name: 'Audit log' });
    await audit.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => audit.locator('tbody tr').count(), LIVE_TIMEOUT).toBeGreaterThan(2);
    const text = (await audit.locator('tbody').textContent()) ?? '';
    expect(text).toContain('otto');
    expect(text).toContain('vic');

    await screenshot(page, 'admin.png');
    await signOut();
  }, 90_000);

  it('goes back to the sign-in page when the signed-in user is deleted', async () => {
    await signIn('otto');
    await expect.poll(() => userMenu().textContent(), LIVE_TIMEOUT).toContain('otto');
    await expect.poll(() => page.locator('[data-mode]').getAttribute('data-mode'), LIVE_TIMEOUT).toBe('live');
    // Deleting the user closes its WebSocket (4401 revoked); the page checks its session and asks to sign in.
    server.services.auth.deleteUser('otto');
    await expect.poll(() => signInForm().isVisible(), LIVE_TIMEOUT).toBe(true);
  }, 90_000);

  it('refuses too many failed sign-ins, saying when to try again', async () => {
    const alert = () => signInForm().getByRole('alert');
    const password = () => signInForm().getByLabel('Password');
    let text = '';
    // 5 failures per username in 15 min: the sixth at the latest is refused as too many.
    for (let attempt = 0; attempt < 8 && !text.startsWith('Too many'); attempt++) {
      await signIn('vic', `wrong ${attempt}`);
      // The password is cleared once the answer is in.
      await expect.poll(() => password().inputValue(), LIVE_TIMEOUT).toBe('');
      await expect
        .poll(async () => ((await alert().count()) ? alert().textContent() : ''), LIVE_TIMEOUT)
        .not.toBe('');
      text = (await alert().textContent()) ?? '';
    }
    expect(text).toMatch(
      /^Too many failed sign-ins: (try again in \d+ (s|min)|wait a few minutes and try again)\.$/,
    );
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, name);
  if (existsSync(file) && process.env.LABLINK_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dismiss = page.getByRole('button', { name: 'Dismiss notification' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  await page.screenshot({ path: file, fullPage: true });
}
