// Nothing stale looks live, in Chromium against a real server and its simulated bench. With the server stopped,
// the page says so within seconds: a "Server unreachable" band with since when, every instrument's badge Unknown,
// readings greyed with their age, controls disabled with the reason, and an emergency stop that keeps retrying;
// started again (same port, same data), the page is live again by itself and the retried stop goes through. A
// simulated instrument that drops its connection shows as not connected, with greyed readings, until it is back;
// one whose readings stop reaching the page shows as Stale.

import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { type BenchServer, ensureWebBuild, startBenchServer } from './support/server.js';

/** What the issue asks: the stale state is on screen within 5 s of the server going away. */
const WITHIN_5S = { timeout: 5_000, interval: 100 };
const LIVE_TIMEOUT = { timeout: 30_000, interval: 250 };

interface Equipment {
  id: string;
  type: string;
  resource_string: string;
}

describe.skipIf(!chromiumAvailable('stale data'))('stale data in Chromium', () => {
  let server: BenchServer;
  let browser: Browser;
  let page: Page;
  const bench: Record<string, Equipment> = {};
  const pageErrors: string[] = [];
  let dropStreamData = false;

  // biome-ignore lint/suspicious/noExplicitAny: REST bodies are checked field by field by the assertions
  const api = async (pathname: string, init?: RequestInit): Promise<any> =>
    (await fetch(server.url + pathname, init)).json();
  const list = () => page.getByRole('list', { name: 'Instruments' });
  const badges = (text: string) => list().getByText(text, { exact: true }).count();
  const article = () => page.getByRole('article');
  /** The first box of live values of the panel (CH1 of a supply, the multimeter's reading). */
  let panel = 'CH1 controls';
  const liveValues = () => page.getByRole('region', { name: panel }).locator('[data-stale]');
  /** The first value of that box: a number once a reading has arrived. */
  const firstValue = () => liveValues().locator('output').first().textContent();
  const ageNote = () => liveValues().locator('.stale-age');
  const banner = () => page.getByRole('alert', { name: 'Server unreachable' });
  const estop = () => page.getByRole('button', { name: 'Emergency stop', exact: true });
  const setpoint = () => page.getByLabel('CH1 voltage setpoint', { exact: true });

  beforeAll(async () => {
    ensureWebBuild();
    server = await startBenchServer();
    for (const e of (await api('/api/equipment/list')) as Equipment[]) bench[e.type] = e;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // The page's WebSocket passes through here, so that a test can hold back the stream data alone.
    await page.routeWebSocket(/\/ws$/, (ws) => {
      const upstream = ws.connectToServer();
      upstream.onMessage((message) => {
        if (dropStreamData && typeof message === 'string' && message.includes('"stream_data"')) return;
        ws.send(message);
      });
    });
  }, 120_000);

  /** The server is halted: a test that failed meanwhile leaves it running for the next. */
  let halted = false;
  afterEach(async () => {
    if (halted) await server.restart();
    halted = false;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows a stopped server within 5 s, keeps the emergency stop trying, and goes live by itself when it is back', async () => {
    const psu = bench.power_supply as Equipment;
    await page.goto(`${server.url}/#/equipment/${psu.id}`);
    await expect.poll(() => badges('Connected'), LIVE_TIMEOUT).toBe(4);
    await expect.poll(() => liveValues().getAttribute('data-stale'), LIVE_TIMEOUT).toBe('false');
    await expect.poll(firstValue, LIVE_TIMEOUT).toMatch(/\d/);
    await expect
      .poll(() => page.getByLabel('CH1 measured voltage').textContent(), LIVE_TIMEOUT)
      .toMatch(/\d/);
    expect(await setpoint().isDisabled()).toBe(false);
    expect(await banner().count()).toBe(0);

    await server.halt();
    halted = true;

    // Within 5 s: the band with since when, Unknown badges, greyed readings with their age, disabled controls.
    await expect.poll(() => banner().count(), WITHIN_5S).toBe(1);
    expect(await banner().textContent()).toMatch(/since \d{1,2}:\d\d:\d\d/);
    await expect.poll(() => badges('Unknown'), WITHIN_5S).toBe(4);
    expect(await badges('Connected')).toBe(0);
    expect(await article().locator('.instrument-title').textContent()).toMatch(/Unknown/);
    await expect.poll(() => liveValues().getAttribute('data-stale'), WITHIN_5S).toBe('true');
    await expect.poll(() => ageNote().textContent(), WITHIN_5S).toMatch(/Not current: [\d.]+ s old/);
    await expect.poll(() => setpoint().isDisabled(), WITHIN_5S).toBe(true);
    expect(await page.getByRole('switch', { name: 'CH1 output' }).isDisabled()).toBe(true);
    expect(await article().getByText('Server unreachable — controls disabled').count()).toBe(1);

    // The age keeps counting.
    const age = async () =>
      Number.parseFloat((await ageNote().textContent())?.match(/([\d.]+) s old/)?.[1] ?? '0');
    const first = await age();
    await expect.poll(age, LIVE_TIMEOUT).toBeGreaterThan(first);

    // The emergency stop is never disabled: pressed now, it keeps trying and says so.
    expect(await estop().isEnabled()).toBe(true);
    await estop().click();
    await expect.poll(() => estop().getAttribute('data-retrying'), LIVE_TIMEOUT).toBe('true');
    await expect.poll(() => estop().textContent(), LIVE_TIMEOUT).toMatch(/RETRYING/);

    await server.restart();
    halted = false;

    // Live again by itself: no band, Connected badges, fresh readings, enabled controls …
    await expect.poll(() => banner().count(), LIVE_TIMEOUT).toBe(0);
    await expect.poll(() => badges('Connected'), LIVE_TIMEOUT).toBe(4);
    await expect
      .poll(() => page.getByRole('region', { name: 'Connection' }).getAttribute('data-mode'), LIVE_TIMEOUT)
      .toBe('live');
    await expect.poll(() => liveValues().getAttribute('data-stale'), LIVE_TIMEOUT).toBe('false');
    await expect.poll(firstValue, LIVE_TIMEOUT).toMatch(/\d/);
    await expect.poll(() => setpoint().isDisabled(), LIVE_TIMEOUT).toBe(false);
    // … and the emergency stop pressed during the outage went through to the new server.
    await expect.poll(() => estop().getAttribute('data-retrying'), LIVE_TIMEOUT).toBe('false');
    await expect
      .poll(async () => (await api('/api/safety/emergency-stop/status')).active, LIVE_TIMEOUT)
      .toBe(true);
    await expect.poll(() => page.getByText('E-stop active').count(), LIVE_TIMEOUT).toBe(1);
    await page.getByRole('button', { name: 'Release emergency stop' }).click();
    await expect
      .poll(async () => (await api('/api/safety/emergency-stop/status')).active, LIVE_TIMEOUT)
      .toBe(false);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('shows a simulated instrument that drops its connection as not connected, greyed, until it is back', async () => {
    panel = 'Multimeter controls';
    const dmm = (await api('/api/equipment/list')).find(
      (e: Equipment) => e.type === 'multimeter',
    ) as Equipment;
    await page.goto(`${server.url}/#/equipment/${dmm.id}`);
    const entry = list().getByRole('link', { name: /34461A/ });
    await expect.poll(() => entry.textContent(), LIVE_TIMEOUT).toMatch(/Connected/);
    await expect.poll(() => liveValues().getAttribute('data-stale'), LIVE_TIMEOUT).toBe('false');
    await expect.poll(firstValue, LIVE_TIMEOUT).toMatch(/\d/);
    const sim = server.bench.instruments.find((s) => s.resource === dmm.resource_string);
    expect(sim).toBeDefined();

    await sim?.faults.dropConnections({ refuseNew: true });
    await expect.poll(() => liveValues().getAttribute('data-stale'), WITHIN_5S).toBe('true');
    await expect
      .poll(() => article().locator('.instrument-title').textContent(), WITHIN_5S)
      .toMatch(/Stale|Reconnecting…|Not responding|Error/);
    await expect.poll(() => ageNote().textContent(), WITHIN_5S).toMatch(/s old/);
    await expect
      .poll(() => page.getByLabel('Function', { exact: true }).isDisabled(), LIVE_TIMEOUT)
      .toBe(true);
    await expect.poll(() => page.getByText('Controls are paused').count(), LIVE_TIMEOUT).toBe(1);
    expect(await banner().count()).toBe(0);

    await sim?.faults.clear();
    await expect.poll(() => entry.textContent(), { timeout: 45_000, interval: 250 }).toMatch(/Connected/);
    await expect.poll(() => liveValues().getAttribute('data-stale'), LIVE_TIMEOUT).toBe('false');
    await expect.poll(firstValue, LIVE_TIMEOUT).toMatch(/\d/);
    await expect
      .poll(() => page.getByLabel('Function', { exact: true }).isDisabled(), LIVE_TIMEOUT)
      .toBe(false);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('marks an instrument whose readings stop arriving as Stale, with greyed readings, until they flow again', async () => {
    panel = 'Multimeter controls';
    const dmm = (await api('/api/equipment/list')).find(
      (e: Equipment) => e.type === 'multimeter',
    ) as Equipment;
    await page.goto(`${server.url}/#/equipment/${dmm.id}`);
    const badge = () => article().locator('.instrument-title .badge').textContent();
    await expect.poll(badge, LIVE_TIMEOUT).toBe('Connected');
    await expect.poll(() => liveValues().getAttribute('data-stale'), LIVE_TIMEOUT).toBe('false');
    await expect.poll(firstValue, LIVE_TIMEOUT).toMatch(/\d/);

    // The server and the instrument are fine, the socket stays open, but no reading reaches the page.
    dropStreamData = true;
    await expect.poll(() => liveValues().getAttribute('data-stale'), WITHIN_5S).toBe('true');
    await expect.poll(badge, WITHIN_5S).toBe('Stale');
    await expect.poll(() => ageNote().textContent(), WITHIN_5S).toMatch(/Not current: [\d.]+ s old/);
    expect(await banner().count()).toBe(0);

    dropStreamData = false;
    await expect.poll(badge, LIVE_TIMEOUT).toBe('Connected');
    await expect.poll(() => liveValues().getAttribute('data-stale'), LIVE_TIMEOUT).toBe('false');
    await expect.poll(firstValue, LIVE_TIMEOUT).toMatch(/\d/);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
