// The Alarms panel in Debian's Chromium against a real LabLink server and its simulated bench: an alarm defined
// in the editor on the power supply's measured voltage is raised by a setpoint past its threshold and appears
// without a reload, the navigation's badge counts it, acknowledging it (with a note) takes it off the count and
// shows it acknowledged, and after the WebSocket was cut the panel catches up over REST. A refused definition
// shows the server's reason next to the field. A screenshot of the panel goes to docs/screenshots/alarms.png
// (when missing, or with LABLINK_SCREENSHOTS=1).

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { type BenchServer, ensureWebBuild, startBenchServer } from './support/server.js';

const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const LIVE_TIMEOUT = { timeout: 15_000, interval: 200 };
const ALARM = 'PSU CH1 overvoltage';

interface Equipment {
  id: string;
  type: string;
}

describe.skipIf(!chromiumAvailable('alarms panel'))('Alarms panel in Chromium', () => {
  let server: BenchServer;
  let browser: Browser;
  let page: Page;
  let psu: Equipment;
  const pageErrors: string[] = [];
  const sockets: WebSocketRoute[] = [];
  let refuseSockets = false;

  // biome-ignore lint/suspicious/noExplicitAny: REST bodies are checked field by field by the assertions
  const api = async (pathname: string, body?: unknown): Promise<any> => {
    const response = await fetch(server.url + pathname, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${pathname}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const command = (action: string, parameters: Record<string, unknown>) =>
    api(`/api/equipment/${psu.id}/command`, { action, parameters, session_id: 'e2e-alarms' });
  const badge = () => page.getByRole('navigation', { name: 'Panels' }).getByTestId('alarm-badge');
  const badgeCount = async () =>
    (await badge().count()) === 0 ? 0 : Number(await badge().getAttribute('data-count'));
  const row = (name: string) =>
    page.getByRole('region', { name: 'Active alarms' }).getByRole('listitem', { name });
  const connectionMode = () => page.getByRole('region', { name: 'Connection' }).getAttribute('data-mode');

  beforeAll(async () => {
    ensureWebBuild();
    server = await startBenchServer();
    const list = (await api('/api/equipment/list')) as Equipment[];
    psu = list.find((e) => e.type === 'power_supply') as Equipment;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Desktop notifications allowed, and recorded; the beep's oscillators counted.
    await page.addInitScript(() => {
      const w = globalThis as unknown as Record<string, unknown> & {
        AudioContext?: { prototype: { createOscillator(): unknown } };
      };
      const shown: { title: string; body: string }[] = [];
      w.shownNotifications = shown;
      w.Notification = class {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        onclick: unknown = null;
        constructor(title: string, options?: { body?: string }) {
          shown.push({ title, body: options?.body ?? '' });
        }
        close() {}
      };
      w.oscillators = 0;
      const proto = w.AudioContext?.prototype;
      if (proto) {
        const create = proto.createOscillator;
        proto.createOscillator = function (this: unknown) {
          w.oscillators = (w.oscillators as number) + 1;
          return create.call(this);
        };
      }
    });
    await page.routeWebSocket(/\/ws$/, (ws) => {
      if (refuseSockets) return ws.close({ code: 4001, reason: 'cut by the test' });
      ws.connectToServer();
      sockets.push(ws);
    });
    // The wired bench: CH1 feeds the electronic load; in CR at 10 Ω it draws 5 V / 10.05 Ω ≈ 0.5 A in CV,
    // well below the alarm's threshold.
    const load = ((await api('/api/equipment/list')) as Equipment[]).find(
      (e) => e.type === 'electronic_load',
    );
    const loadCommand = (action: string, parameters: Record<string, unknown>) =>
      api(`/api/equipment/${load?.id}/command`, { action, parameters, session_id: 'e2e-alarms' });
    await loadCommand('set_mode', { mode: 'CR' });
    await loadCommand('set_resistance', { resistance: 10 });
    await loadCommand('set_input', { enabled: true });
    await command('set_voltage', { voltage: 5, channel: 1 });
    await command('set_current', { current: 2, channel: 1 });
    await command('set_output', { enabled: true, channel: 1 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('starts with no alarms and no badge', async () => {
    await page.goto(`${server.url}/#/alarms`);
    await page.getByRole('heading', { name: 'Alarms', level: 2 }).waitFor();
    await expect.poll(connectionMode, LIVE_TIMEOUT).toBe('live');
    await page.getByText('No alarms.', { exact: false }).waitFor(LIVE_TIMEOUT);
    expect(await badge().count()).toBe(0);
  }, 60_000);

  it('shows the server refusing a definition next to the field it names', async () => {
    await page
      .getByRole('navigation', { name: 'Alarm views' })
      .getByRole('link', { name: 'Definitions' })
      .click();
    await page.getByRole('link', { name: 'New alarm' }).click();
    const form = page.getByRole('form', { name: 'New alarm' });
    await form.getByLabel('Name', { exact: true }).fill('Too fast');
    await form.getByLabel('Instrument', { exact: true }).selectOption(psu.id);
    await expect.poll(() => form.getByLabel('Reading', { exact: true }).isEnabled(), LIVE_TIMEOUT).toBe(true);
    await form.getByLabel('Reading', { exact: true }).selectOption('voltage_actual');
    await form.getByLabel('Threshold', { exact: true }).fill('8');
    await form.getByLabel('Evaluate every', { exact: true }).fill('5');
    await form.getByRole('button', { name: 'Create alarm' }).click();
    const field = form.locator('.form-field', { has: page.getByLabel('Evaluate every', { exact: true }) });
    await expect
      .poll(() => field.getByRole('alert').textContent(), LIVE_TIMEOUT)
      .toMatch(/^Invalid request: .+/);
    const names = (await api('/api/alarms')).alarms.map((a: { name: string }) => a.name);
    expect(names).not.toContain('Too fast');
    await form.getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);

  it('creates an alarm in the editor, picking the instrument and its reading from lists', async () => {
    await page.getByRole('link', { name: 'New alarm' }).click();
    const form = page.getByRole('form', { name: 'New alarm' });
    await form.getByLabel('Name', { exact: true }).fill(ALARM);
    await form.getByLabel('Instrument', { exact: true }).selectOption(psu.id);
    const reading = form.getByLabel('Reading', { exact: true });
    await expect.poll(() => reading.isEnabled(), LIVE_TIMEOUT).toBe(true);
    const offered = await reading
      .locator('option')
      .evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    expect(offered).toEqual(expect.arrayContaining(['voltage_actual', 'current_actual', 'power']));
    await reading.selectOption('voltage_actual');
    await form.getByLabel('Condition', { exact: true }).selectOption('greater_than');
    await form.getByLabel('Threshold', { exact: true }).fill('8');
    await form.getByLabel('Deadband', { exact: true }).fill('0.5');
    await form.getByLabel('Severity', { exact: true }).selectOption('critical');
    await form.getByRole('button', { name: 'Create alarm' }).click();

    const table = page.getByRole('region', { name: 'Alarm definitions' });
    await table.getByRole('row', { name: ALARM }).waitFor(LIVE_TIMEOUT);
    const alarm = (await api('/api/alarms')).alarms.find((a: { name: string }) => a.name === ALARM);
    expect(alarm).toMatchObject({
      name: ALARM,
      equipment_id: psu.id,
      parameter: 'voltage_actual',
      condition: 'greater_than',
      threshold: 8,
      deadband: 0.5,
      severity: 'critical',
      enabled: true,
    });
  }, 60_000);

  it('raises the alarm live when a setpoint passes the threshold, and the badge counts it', async () => {
    await page
      .getByRole('navigation', { name: 'Alarm views' })
      .getByRole('link', { name: /^Active/ })
      .click();
    // A marker on the page: it survives only if nothing reloads it.
    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 42;
    });
    // A few more alarms, of other severities, so that the panel (and its screenshot) shows how they sort.
    await api('/api/alarms/create', {
      name: 'PSU CH1 power high',
      equipment_id: psu.id,
      parameter: 'power',
      threshold: 5,
      severity: 'warning',
    });
    await api('/api/alarms/create', {
      name: 'PSU CH1 current above 0.7 A',
      equipment_id: psu.id,
      parameter: 'current_actual',
      threshold: 0.7,
      severity: 'info',
    });

    await command('set_voltage', { voltage: 10, channel: 1 });
    await row(ALARM).waitFor(LIVE_TIMEOUT);
    await expect.poll(() => row(ALARM).getAttribute('data-state'), LIVE_TIMEOUT).toBe('active');
    expect(await row(ALARM).textContent()).toMatch(/Critical/);
    expect(await row(ALARM).textContent()).toMatch(/Active, unacknowledged/);
    await expect.poll(badgeCount, LIVE_TIMEOUT).toBe(3);
    expect(await badge().textContent()).toMatch(/3 unacknowledged alarms/);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);

    // One desktop notification per alarm, and the beep (three tones) for the critical one only.
    const shown = () =>
      page.evaluate(
        () => (globalThis as unknown as { shownNotifications: { title: string }[] }).shownNotifications,
      );
    await expect.poll(async () => (await shown()).length, LIVE_TIMEOUT).toBe(3);
    expect((await shown()).map((n) => n.title)).toContain(`LabLink alarm — Critical: ${ALARM}`);
    expect(await page.evaluate(() => (globalThis as unknown as { oscillators: number }).oscillators)).toBe(3);

    // The badge is in the shell: it shows from the Equipment panel too.
    await page
      .getByRole('navigation', { name: 'Panels' })
      .getByRole('link', { name: /^Equipment/ })
      .click();
    await expect.poll(badgeCount, LIVE_TIMEOUT).toBe(3);
    await page
      .getByRole('navigation', { name: 'Panels' })
      .getByRole('link', { name: /^Alarms/ })
      .click();
    await row(ALARM).waitFor(LIVE_TIMEOUT);
  }, 60_000);

  it('acknowledges with a note: the count goes down and the state says acknowledged', async () => {
    await row(ALARM).getByRole('button', { name: 'Acknowledge…' }).click();
    const form = row(ALARM).getByRole('form', { name: 'Acknowledge' });
    await form.getByLabel('Note', { exact: true }).fill('Raised on purpose by the browser test');
    await form.getByLabel('Your name', { exact: true }).fill('e2e');
    await form.getByRole('button', { name: 'Acknowledge', exact: true }).click();

    await expect.poll(() => row(ALARM).getAttribute('data-state'), LIVE_TIMEOUT).toBe('acknowledged');
    expect(await row(ALARM).textContent()).toMatch(/Acknowledged/);
    expect(await row(ALARM).textContent()).toMatch(/by e2e — “Raised on purpose by the browser test”/);
    await expect.poll(badgeCount, LIVE_TIMEOUT).toBe(2);

    const { events } = await api('/api/alarms/events/active');
    const stored = events.find((e: { alarm_name: string }) => e.alarm_name === ALARM);
    expect(stored).toMatchObject({
      state: 'acknowledged',
      acknowledged_by: 'e2e',
      acknowledgment_note: 'Raised on purpose by the browser test',
    });
    await screenshot(page, 'alarms.png');
  }, 60_000);

  it('shelves an alarm for a chosen time, off the count, and unshelves it', async () => {
    const name = 'PSU CH1 current above 0.7 A';
    await row(name).getByRole('button', { name: 'Shelve…' }).click();
    const form = row(name).getByRole('form', { name: 'Shelve' });
    await form.getByLabel('Shelve for', { exact: true }).selectOption({ label: '1 h' });
    await form.getByRole('button', { name: 'Shelve', exact: true }).click();
    await expect.poll(() => row(name).getAttribute('data-state'), LIVE_TIMEOUT).toBe('shelved');
    await expect.poll(badgeCount, LIVE_TIMEOUT).toBe(1);
    // Ending the shelving while still in alarm leaves it acknowledged by whoever unshelved it (IEC 62682).
    await row(name).getByRole('button', { name: 'Unshelve' }).click();
    await expect.poll(() => row(name).getAttribute('data-state'), LIVE_TIMEOUT).toBe('acknowledged');
    await expect.poll(badgeCount, LIVE_TIMEOUT).toBe(1);
  }, 60_000);

  it('catches up over REST after the WebSocket was cut', async () => {
    refuseSockets = true;
    for (const ws of sockets.splice(0)) await ws.close({ code: 4001, reason: 'cut by the test' });
    await expect.poll(connectionMode, LIVE_TIMEOUT).not.toBe('live');
    // Back to 5 V: every alarm returns to normal and clears by itself while this page hears no events.
    await command('set_voltage', { voltage: 5, channel: 1 });
    await expect.poll(async () => (await api('/api/alarms/events/active')).count, LIVE_TIMEOUT).toBe(0);
    refuseSockets = false;
    await expect.poll(connectionMode, { timeout: 45_000, interval: 250 }).toBe('live');
    const active = page.getByRole('region', { name: 'Active alarms' });
    await expect.poll(() => active.getByRole('listitem').count(), LIVE_TIMEOUT).toBe(0);
    await expect.poll(badgeCount, LIVE_TIMEOUT).toBe(0);
    await page.getByText('No alarms.', { exact: false }).waitFor(LIVE_TIMEOUT);

    const history = await api(`/api/alarms/events?state=cleared&limit=10`);
    expect(history.total).toBeGreaterThanOrEqual(3);
  }, 90_000);

  it('lists the history and the alarm-load figures', async () => {
    await page
      .getByRole('navigation', { name: 'Alarm views' })
      .getByRole('link', { name: 'History' })
      .click();
    const history = page.getByRole('region', { name: 'Alarm history' });
    await history
      .getByRole('row', { name: new RegExp(ALARM) })
      .first()
      .waitFor(LIVE_TIMEOUT);
    await history.getByLabel('Severity', { exact: true }).selectOption('critical');
    await expect.poll(() => history.getByRole('row').count(), LIVE_TIMEOUT).toBe(2); // header and one alarm
    await page
      .getByRole('navigation', { name: 'Alarm views' })
      .getByRole('link', { name: 'Alarm load' })
      .click();
    const load = page.getByRole('region', { name: 'Alarm load' });
    await load.getByRole('figure', { name: /Alarms per 10 minutes/ }).waitFor(LIVE_TIMEOUT);
    await load.getByText('Time in flood (24 h)').waitFor(LIVE_TIMEOUT);
  }, 60_000);

  it('remembers in this browser when desktop notifications and the sound are turned off', async () => {
    const desktop = page.getByRole('checkbox', { name: 'Desktop notifications' });
    const sound = page.getByRole('checkbox', { name: 'Sound for critical alarms' });
    await desktop.uncheck();
    await sound.uncheck();
    await page.reload();
    await page.getByRole('heading', { name: 'Alarms', level: 2 }).waitFor();
    expect(await desktop.isChecked()).toBe(false);
    expect(await sound.isChecked()).toBe(false);
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
        ).localStorage.getItem('lablink.alarms.alerts'),
      ),
    ).toBe(JSON.stringify({ desktop: false, sound: false }));
    await desktop.check();
    await sound.check();
  }, 60_000);

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, name);
  if (existsSync(file) && process.env.LABLINK_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Without the action's toasts, and with the connection bar's figures measured.
  const dismiss = page.getByRole('button', { name: 'Dismiss notification' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: file, fullPage: true });
}
