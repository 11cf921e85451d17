// The Acquisition panel in Debian's Chromium against a real LabLink server and its simulated bench: a session set
// up from the lists (the power supply's measured voltage and current) plots live once started, with the quality
// footer counting its samples; a refused setting shows the server's reason by its field and creates nothing;
// statistics of a channel come from the stored samples; the export downloads a CSV holding the samples; the
// stopped session is reopened from the list and plotted from storage. A scope channel's waveform captures are
// recorded from a session set up the same way, and a triggered session waits for its external trigger. A screenshot of the panel goes to
// docs/screenshots/acquisition.png (when missing, or with LABLINK_SCREENSHOTS=1).

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { type BenchServer, ensureWebBuild, startBenchServer } from './support/server.js';

const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const LIVE_TIMEOUT = { timeout: 20_000, interval: 200 };
const SESSION = 'PSU CH1 run';

interface Equipment {
  id: string;
  type: string;
}

describe.skipIf(!chromiumAvailable('acquisition panel'))('Acquisition panel in Chromium', () => {
  let server: BenchServer;
  let browser: Browser;
  let page: Page;
  let psu: Equipment;
  let scope: Equipment;
  let acquisitionId = '';
  const pageErrors: string[] = [];

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
    api(`/api/equipment/${psu.id}/command`, { action, parameters, session_id: 'e2e-acquisition' });
  const connectionMode = () => page.getByRole('region', { name: 'Connection' }).getAttribute('data-mode');
  const chart = () => page.getByRole('img', { name: /samples$/ });
  const points = async () => Number(await chart().getAttribute('data-points'));
  const state = () => page.locator('.acq-state').getAttribute('data-state');
  const form = () => page.getByRole('form', { name: 'New session' });
  const hash = () => new URL(page.url()).hash;

  const pickSource = async (reading: string) => {
    const f = form();
    await f.getByLabel('Instrument', { exact: true }).selectOption(psu.id);
    await f.getByLabel('Channel', { exact: true }).selectOption('1');
    const select = f.getByLabel('Reading', { exact: true });
    await expect.poll(() => select.locator('option').count(), LIVE_TIMEOUT).toBeGreaterThan(1);
    await select.selectOption(reading);
    await f.getByRole('button', { name: 'Add channel' }).click();
  };

  beforeAll(async () => {
    ensureWebBuild();
    server = await startBenchServer();
    const list = (await api('/api/equipment/list')) as Equipment[];
    psu = list.find((e) => e.type === 'power_supply') as Equipment;
    scope = list.find((e) => e.type === 'oscilloscope') as Equipment;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // The wired bench: CH1 feeds the electronic load; in CR at 10 Ω it draws 5 V / 10.05 Ω ≈ 0.5 A in CV.
    const load = ((await api('/api/equipment/list')) as Equipment[]).find(
      (e) => e.type === 'electronic_load',
    );
    const loadCommand = (action: string, parameters: Record<string, unknown>) =>
      api(`/api/equipment/${load?.id}/command`, { action, parameters, session_id: 'e2e-acquisition' });
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

  it('shows the server refusing a setting next to the field it names, and creates nothing', async () => {
    await page.goto(`${server.url}/#/acquisition`);
    await page.getByRole('heading', { name: 'Acquisition', level: 2 }).waitFor();
    await expect.poll(connectionMode, LIVE_TIMEOUT).toBe('live');
    await pickSource('voltage_actual');
    // Polled sources go up to 1000 Hz: the form lets 5 kHz through, the server refuses it.
    await form().getByLabel('Sample rate', { exact: true }).fill('5k');
    await form().getByRole('button', { name: 'Create session' }).click();
    const field = form().locator('.form-field', { has: page.getByLabel('Sample rate', { exact: true }) });
    await expect
      .poll(() => field.getByRole('alert').textContent(), LIVE_TIMEOUT)
      .toMatch(/^Invalid request: .+/);
    expect((await api('/api/acquisition/sessions')).count).toBe(0);
  }, 60_000);

  it('sets up a session from the lists and plots it live once started', async () => {
    await pickSource('current_actual');
    await form().getByLabel('Sample rate', { exact: true }).fill('20');
    await form().getByLabel('Name', { exact: true }).fill(SESSION);
    await form().getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => hash(), LIVE_TIMEOUT).toMatch(/^#\/acquisition\/.+/);
    acquisitionId = decodeURIComponent(hash().split('/')[2] ?? '');
    const status = await api(`/api/acquisition/session/${acquisitionId}/status`);
    expect(status.state).toBe('idle');
    expect(status.channels).toEqual([`${psu.id}.voltage_actual.1`, `${psu.id}.current_actual.1`]);

    await expect.poll(state, LIVE_TIMEOUT).toBe('idle');
    await page
      .getByRole('toolbar', { name: 'Session controls' })
      .getByRole('button', { name: 'Start' })
      .click();
    await expect.poll(state, LIVE_TIMEOUT).toBe('acquiring');
    // The live chart fills from acquisition_stream, one line per channel.
    await expect.poll(points, LIVE_TIMEOUT).toBeGreaterThan(30);
    const before = await points();
    await expect.poll(points, LIVE_TIMEOUT).toBeGreaterThan(before);
    await expect.poll(() => page.getByTestId('acq-samples').textContent(), LIVE_TIMEOUT).not.toBe('0');
    await expect
      .poll(() => page.getByTestId('acq-rate').textContent(), LIVE_TIMEOUT)
      .toMatch(/^[1-9][\d.]* samples\/s$/);
    expect(await page.getByTestId('acq-latency').textContent()).toMatch(/ms$/);
    expect(await page.getByTestId('acq-gaps').textContent()).toBe('0');
    // Legend: one entry per channel.
    const legend = await page.locator('.acq-chart .u-legend .u-series').allTextContents();
    expect(legend.join(' ')).toContain('voltage_actual');
    expect(legend.join(' ')).toContain('current_actual');

    // Pausing the chart freezes the view while the session records on.
    await page.getByRole('button', { name: 'Pause chart' }).click();
    expect(await chart().getAttribute('data-paused')).toBe('true');
    await page.getByRole('button', { name: 'Resume chart' }).click();
    expect(await chart().getAttribute('data-paused')).toBe('false');
    // Dragging across the chart zooms into that stretch of time; Reset zoom shows everything again.
    const overlay = page.locator('.acq-chart .u-over');
    const box = await overlay.boundingBox();
    if (!box) throw new Error('the chart has no plotting area');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => chart().getAttribute('data-zoomed'), LIVE_TIMEOUT).toBe('true');
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    expect(await chart().getAttribute('data-zoomed')).toBe('false');

    const file = path.join(SCREENSHOTS, 'acquisition.png');
    if (process.env.LABLINK_SCREENSHOTS === '1' || !existsSync(file)) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.getByRole('button', { name: 'Compute' }).click();
      await page.getByRole('table', { name: 'Results' }).waitFor(LIVE_TIMEOUT);
      await expect.poll(points, LIVE_TIMEOUT).toBeGreaterThan(100);
      for (const close of await page.locator('.toast-close').all()) await close.click();
      await page.screenshot({ path: file, fullPage: true });
    }
  }, 90_000);

  it('computes statistics of a channel from the stored samples', async () => {
    const stats = page.getByRole('region', { name: 'Statistics' });
    await stats.getByLabel('Channel', { exact: true }).selectOption(`${psu.id}.voltage_actual.1`);
    await stats.getByLabel('Figures', { exact: true }).selectOption('rolling');
    await stats.getByRole('button', { name: 'Compute' }).click();
    const mean = stats.getByRole('table', { name: 'Results' }).getByRole('row', { name: /^mean / });
    await expect.poll(() => mean.locator('td').textContent(), LIVE_TIMEOUT).toMatch(/^4\.9\d*|^5(\.0\d*)?$/);
    await stats.getByLabel('Figures', { exact: true }).selectOption('fft');
    await stats.getByRole('button', { name: 'Compute' }).click();
    await stats.getByTestId('acq-fft').waitFor(LIVE_TIMEOUT);
  }, 60_000);

  it('stops the session and downloads its export', async () => {
    await page
      .getByRole('toolbar', { name: 'Session controls' })
      .getByRole('button', { name: 'Stop' })
      .click();
    await expect.poll(state, LIVE_TIMEOUT).toBe('stopped');
    const total = (await api(`/api/acquisition/session/${acquisitionId}/status`)).stats
      .total_samples as number;
    expect(total).toBeGreaterThan(30);

    const box = page.getByRole('region', { name: 'Export' });
    await box.getByLabel('Format', { exact: true }).selectOption('csv');
    await box.getByRole('button', { name: 'Export' }).click();
    const link = box.getByRole('link', { name: /^Download / });
    await link.waitFor(LIVE_TIMEOUT);
    expect(await box.getByRole('progressbar', { name: 'Export progress' }).getAttribute('value')).toBe('1');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const saved = await download.path();
    const text = readFileSync(saved, 'utf8');
    expect(text).toContain('voltage_actual');
    // A header (and maybe metadata comments), then one row per sample.
    const rows = text.split('\n').filter((line) => /^\d{4}-\d\d-\d\dT/.test(line));
    expect(rows.length).toBe(total);
  }, 60_000);

  it("records a scope channel's waveform captures picked from the lists", async () => {
    await page.goto(`${server.url}/#/acquisition`);
    const f = form();
    await f.getByLabel('Instrument', { exact: true }).selectOption(scope.id);
    await f.getByLabel('Channel', { exact: true }).selectOption('1');
    await f.getByLabel('Reading', { exact: true }).selectOption('waveform');
    await f.getByRole('button', { name: 'Add channel' }).click();
    await f.getByLabel('Sample rate', { exact: true }).fill('5');
    await f.getByLabel('Name', { exact: true }).fill('Scope CH1 captures');
    await f.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => hash(), LIVE_TIMEOUT).toMatch(/^#\/acquisition\/.+/);
    const id = decodeURIComponent(hash().split('/')[2] ?? '');
    expect((await api(`/api/acquisition/session/${id}/status`)).channels).toEqual([`${scope.id}.waveform.1`]);
    await page
      .getByRole('toolbar', { name: 'Session controls' })
      .getByRole('button', { name: 'Start' })
      .click();
    await expect
      .poll(async () => Number(await page.getByTestId('acq-captures').textContent()), LIVE_TIMEOUT)
      .toBeGreaterThan(0);
    await page
      .getByRole('toolbar', { name: 'Session controls' })
      .getByRole('button', { name: 'Stop' })
      .click();
    await expect.poll(state, LIVE_TIMEOUT).toBe('stopped');
  }, 60_000);

  it('a triggered session waits for its external trigger, then takes its samples', async () => {
    await page.goto(`${server.url}/#/acquisition`);
    await pickSource('voltage_actual');
    const f = form();
    await f.getByLabel('Mode', { exact: true }).selectOption('triggered');
    await f.getByLabel('Trigger', { exact: true }).selectOption('external');
    await f.getByLabel('Stop after', { exact: true }).selectOption('samples');
    await f.getByLabel('Samples', { exact: true }).fill('10');
    await f.getByLabel('Sample rate', { exact: true }).fill('20');
    await f.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => hash(), LIVE_TIMEOUT).toMatch(/^#\/acquisition\/.+/);
    const id = decodeURIComponent(hash().split('/')[2] ?? '');
    expect((await api(`/api/acquisition/session/${id}/status`)).config.trigger_config).toMatchObject({
      trigger_type: 'external',
    });
    const controls = page.getByRole('toolbar', { name: 'Session controls' });
    await controls.getByRole('button', { name: 'Start' }).click();
    await expect.poll(state, LIVE_TIMEOUT).toBe('waiting_trigger');
    await controls.getByRole('button', { name: 'Trigger now' }).click();
    await expect.poll(state, LIVE_TIMEOUT).toBe('stopped');
    expect((await api(`/api/acquisition/session/${id}/status`)).stats.total_samples).toBe(10);
    await expect.poll(points, LIVE_TIMEOUT).toBe(10);
  }, 60_000);

  it('reopens the stopped session from the list and plots it from storage', async () => {
    await page.goto(`${server.url}/#/acquisition`);
    await page.reload();
    const sessions = page.getByRole('region', { name: 'Sessions' });
    await sessions.getByRole('link', { name: SESSION }).click();
    await page.getByRole('img', { name: 'Recorded samples' }).waitFor(LIVE_TIMEOUT);
    const total = (await api(`/api/acquisition/session/${acquisitionId}/status`)).stats
      .total_samples as number;
    await expect.poll(points, LIVE_TIMEOUT).toBe(total);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
