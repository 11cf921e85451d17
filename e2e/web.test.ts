// The web app in Debian's Chromium against a real LabLink server and its simulated bench: live readings follow a
// setpoint, a refused setpoint is shown and not applied, the scope draws the simulator's real signal, the
// emergency stop turns outputs off on screen and in the instrument, and the page polls while the WebSocket is
// cut and goes live again by itself. Screenshots of each instrument panel go to docs/screenshots/ (when missing,
// or with LABLINK_SCREENSHOTS=1).

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { queryInstrument } from './support/scpi.js';
import { type BenchServer, ensureWebBuild, startBenchServer } from './support/server.js';

const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const LIVE_TIMEOUT = { timeout: 15_000, interval: 200 };

interface Equipment {
  id: string;
  type: string;
  resource_string: string;
}

/** The number at the start of a readout such as "5.002 V". */
function numberIn(text: string | null): number {
  return Number.parseFloat((text ?? '').replace(/[^\d.eE+-]+/g, ' ').trim());
}

describe.skipIf(!chromiumAvailable('web app'))('web app in Chromium', () => {
  let server: BenchServer;
  let browser: Browser;
  let page: Page;
  const bench: Record<string, Equipment> = {};
  const pageErrors: string[] = [];
  /** The page's WebSockets pass through here, so a test can cut them and refuse new ones. */
  const sockets: WebSocketRoute[] = [];
  let refuseSockets = false;

  // biome-ignore lint/suspicious/noExplicitAny: REST bodies are checked field by field by the assertions
  const api = async (pathname: string): Promise<any> => (await fetch(server.url + pathname)).json();
  const open = async (id: string) => {
    await page.goto(`${server.url}/#/equipment/${id}`);
    await page.getByRole('heading', { level: 2 }).first().waitFor();
  };
  const screenshot = async (name: string) => {
    const file = path.join(SCREENSHOTS, name);
    if (existsSync(file) && process.env.LABLINK_SCREENSHOTS !== '1') return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    // A few seconds of live data, and the connection bar's figures measured, make a picture worth keeping.
    await expect
      .poll(() => page.getByRole('region', { name: 'Connection' }).textContent(), LIVE_TIMEOUT)
      .toMatch(/latency \d+ ms/);
    await page.waitForTimeout(3000);
    await page.screenshot({ path: file, fullPage: true });
  };
  const readout = (label: string) => page.getByLabel(label, { exact: true });
  const connectionMode = () => page.getByRole('region', { name: 'Connection' }).getAttribute('data-mode');

  beforeAll(async () => {
    ensureWebBuild();
    server = await startBenchServer();
    for (const e of (await api('/api/equipment/list')) as Equipment[]) bench[e.type] = e;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.routeWebSocket(/\/ws$/, (ws) => {
      if (refuseSockets) return ws.close({ code: 4001, reason: 'cut by the test' });
      ws.connectToServer();
      sockets.push(ws);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lists the simulated bench with live states and goes live over the WebSocket', async () => {
    expect(Object.keys(bench).sort()).toEqual([
      'electronic_load',
      'multimeter',
      'oscilloscope',
      'power_supply',
    ]);
    await page.goto(`${server.url}/`);
    const list = page.getByRole('list', { name: 'Instruments' });
    await expect.poll(() => list.getByText('Connected', { exact: true }).count(), LIVE_TIMEOUT).toBe(4);
    await expect.poll(connectionMode, LIVE_TIMEOUT).toBe('live');
  });

  it('sets a power supply voltage and the live reading follows', async () => {
    const psu = bench.power_supply as Equipment;
    await open(psu.id);
    await page.getByLabel('CH1 voltage setpoint', { exact: true }).fill('5');
    await page.getByLabel('CH1 voltage setpoint', { exact: true }).press('Enter');
    await page.getByLabel('CH1 current limit', { exact: true }).fill('1');
    await page.getByLabel('CH1 current limit', { exact: true }).press('Enter');
    await expect
      .poll(() => page.getByLabel('CH1 voltage setpoint', { exact: true }).inputValue(), LIVE_TIMEOUT)
      .toBe('5.000');
    await page.getByRole('switch', { name: 'CH1 output' }).click();
    await expect
      .poll(() => page.getByRole('switch', { name: 'CH1 output' }).getAttribute('aria-checked'), LIVE_TIMEOUT)
      .toBe('true');
    // The wired bench: CH1 feeds the electronic load, whose input is still off: 5 V in CV, no current.
    await expect
      .poll(async () => numberIn(await readout('CH1 measured voltage').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(5, 1);
    await expect
      .poll(async () => numberIn(await readout('CH1 measured current').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(0, 1);
    await expect.poll(() => readout('CH1 regulation').textContent(), LIVE_TIMEOUT).toBe('CV');
    const readings = await api(`/api/equipment/${psu.id}/readings?channel=1`);
    expect(readings).toMatchObject({ voltage_set: 5, current_set: 1, output_enabled: true });
    await screenshot('psu.png');
  }, 60_000);

  it('keeps what is typed: a reading arriving between the focus and the first key does not change the field', async () => {
    const psu = bench.power_supply as Equipment;
    const field = page.getByLabel('CH2 voltage setpoint', { exact: true });
    await field.focus();
    await field.selectText(); // as a fill does: select all, then insert
    // Meanwhile the instrument's setpoint changes (another client): the stream brings 2.5 V at 10 Hz.
    const set = await fetch(`${server.url}/api/equipment/${psu.id}/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'set_voltage', parameters: { voltage: 2.5, channel: 2 } }),
    });
    expect(set.status).toBe(200);
    await page.waitForTimeout(1500); // fifteen stream periods for the reading to reach the page
    await page.keyboard.insertText('5');
    await page.keyboard.press('Enter');
    await expect.poll(() => field.inputValue(), LIVE_TIMEOUT).toBe('5.000');
    const readings = await api(`/api/equipment/${psu.id}/readings?channel=2`);
    expect(readings.voltage_set).toBe(5);
  }, 60_000);

  it('shows why a setpoint past the limit is refused, and the instrument keeps its value', async () => {
    const psu = bench.power_supply as Equipment;
    const field = page.getByLabel('CH1 voltage setpoint', { exact: true });
    await field.fill('40');
    await field.press('Enter');
    const note = page.locator('form.setpoint', { has: field }).locator('.field-error');
    await expect
      .poll(() => note.textContent(), LIVE_TIMEOUT)
      .toMatch(/40 V is above the 30 V voltage limit of CH1/);
    // The field shows what the instrument holds, not what was typed.
    await expect.poll(() => field.inputValue(), LIVE_TIMEOUT).toBe('5.000');
    const readings = await api(`/api/equipment/${psu.id}/readings?channel=1`);
    expect(readings.voltage_set).toBe(5);
    expect(await queryInstrument(psu.resource_string, ':SOUR1:VOLT?')).toMatch(/^5\.0+$/);
  }, 60_000);

  it('drives the electronic load on the supply: CC setpoint, input on, the supply and the load follow', async () => {
    const load = bench.electronic_load as Equipment;
    const psu = bench.power_supply as Equipment;
    await open(load.id);
    await page.getByLabel('Mode', { exact: true }).selectOption('CC');
    const setpoint = page.getByLabel('Setpoint (current)', { exact: true });
    await setpoint.fill('0.5');
    await setpoint.press('Enter');
    await expect.poll(() => setpoint.inputValue(), LIVE_TIMEOUT).toBe('0.500');
    await page.getByRole('switch', { name: 'Load input' }).click();
    await expect
      .poll(async () => numberIn(await readout('Load current').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(0.5, 1);
    // The supply's 5 V less 0.5 A through the 50 mΩ leads: 4.975 V at the load, 2.49 W.
    await expect
      .poll(async () => numberIn(await readout('Load voltage').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(4.975, 1);
    await expect
      .poll(async () => numberIn(await readout('Load power').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(2.5, 0);
    // The supply delivers that current, still in CV.
    await expect
      .poll(
        async () => (await api(`/api/equipment/${psu.id}/readings?channel=1`)).current_actual,
        LIVE_TIMEOUT,
      )
      .toBeCloseTo(0.5, 1);
    await screenshot('load.png');
  }, 60_000);

  it("draws the scope's real samples: CH1 the supply output, CH2 the load current (0.1 V/A)", async () => {
    const scope = bench.oscilloscope as Equipment;
    await open(scope.id);
    const plot = page.locator('figure[data-traces]');
    const traces = async () => JSON.parse((await plot.getAttribute('data-traces')) ?? '{}');
    await expect.poll(async () => Object.keys(await traces()), LIVE_TIMEOUT).toContain('1');
    await expect.poll(async () => Object.keys(await traces()), LIVE_TIMEOUT).toContain('2');
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const { samples } = (await traces())['1'] as { samples: number[] };
    expect(samples.length).toBeGreaterThan(500);
    expect(mean(samples)).toBeCloseTo(5, 1); // the supply's 5 V
    const current = (await traces())['2'] as { samples: number[] };
    expect(mean(current.samples)).toBeCloseTo(0.05, 1); // 0.5 A × 0.1 V/A
    // The scope's own measurement agrees.
    await expect
      .poll(
        async () => numberIn(await page.getByLabel('CH1 Vavg', { exact: true }).textContent()),
        LIVE_TIMEOUT,
      )
      .toBeCloseTo(5, 1);
    await screenshot('scope.png');
  }, 60_000);

  it('shows a load step on the scope: the supply output dips and recovers', async () => {
    const scope = bench.oscilloscope as Equipment;
    const load = bench.electronic_load as Equipment;
    // Set up as on a real bench: 0.2 V/div around 5 V, 100 µs/div, single shot on CH1 falling through 4.9 V.
    await queryInstrument(
      scope.resource_string,
      ':CHAN1:SCAL 0.2;:CHAN1:OFFS -5;:TIM:MAIN:SCAL 0.0001;:TRIG:EDG:SOUR CHAN1;:TRIG:EDG:SLOP NEG;:TRIG:EDG:LEV 4.9;:SING;*OPC?',
    );
    // Step the load from 0.5 A to 0.9 A: 0.4 A into the supply's 0.5 Ω transient impedance, a 0.2 V dip.
    await queryInstrument(load.resource_string, ':CURR 0.9;*OPC?');
    const plot = page.locator('figure[data-traces]');
    const trace = async () =>
      (JSON.parse((await plot.getAttribute('data-traces')) ?? '{}')['1']?.samples ?? []) as number[];
    await expect.poll(async () => Math.min(...(await trace())), LIVE_TIMEOUT).toBeLessThan(4.85);
    expect(Math.max(...(await trace()))).toBeCloseTo(5, 1);
    await queryInstrument(load.resource_string, ':CURR 0.5;*OPC?');
    await queryInstrument(
      scope.resource_string,
      ':CHAN1:SCAL 1;:CHAN1:OFFS 0;:TIM:MAIN:SCAL 0.001;:TRIG:EDG:SLOP POS;:TRIG:EDG:LEV 0;:RUN;*OPC?',
    );
  }, 60_000);

  it('changes the timebase and shows what the scope took', async () => {
    const field = page.getByLabel('Time per division', { exact: true });
    await field.fill('500u');
    await field.press('Enter');
    await expect.poll(() => field.inputValue(), LIVE_TIMEOUT).toBe('500µ');
    await field.fill('1m');
    await field.press('Enter');
    await expect.poll(() => field.inputValue(), LIVE_TIMEOUT).toBe('1m');
  }, 60_000);

  it('reads the multimeter live and switches its function', async () => {
    const dmm = bench.multimeter as Equipment;
    await open(dmm.id);
    // The meter across the load: 5 V less 0.5 A through the 50 mΩ leads, 4.975 V DC.
    await expect
      .poll(async () => numberIn(await readout('Multimeter reading').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(5, 1);
    await page.getByLabel('Function', { exact: true }).selectOption('RES');
    await expect
      .poll(() => page.getByLabel('Function', { exact: true }).inputValue(), LIVE_TIMEOUT)
      .toBe('RES');
    await page.getByLabel('Function', { exact: true }).selectOption('VOLT:DC');
    await expect
      .poll(() => page.getByLabel('Function', { exact: true }).inputValue(), LIVE_TIMEOUT)
      .toBe('VOLT:DC');
    await expect
      .poll(async () => numberIn(await readout('Multimeter reading').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(5, 1);
    await screenshot('dmm.png');
  }, 60_000);

  it('shows an instrument losing its connection, with the reason, and coming back by itself', async () => {
    const dmm = bench.multimeter as Equipment;
    await open(dmm.id);
    const sim = server.bench.instruments.find((s) => s.resource === dmm.resource_string);
    const entry = page.getByRole('list', { name: 'Instruments' }).getByRole('link', { name: /34461A/ });
    await sim?.faults.dropConnections({ refuseNew: true });
    await expect.poll(() => entry.textContent(), LIVE_TIMEOUT).toMatch(/Reconnecting…|Error/);
    await expect
      .poll(() => page.getByText('Controls are paused').textContent(), LIVE_TIMEOUT)
      .toMatch(/: \S/);
    await sim?.faults.clear();
    await expect.poll(() => entry.textContent(), { timeout: 45_000, interval: 250 }).toMatch(/Connected/);
    await expect
      .poll(async () => numberIn(await readout('Multimeter reading').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(5, 1);
  }, 90_000);

  it('emergency stop turns the outputs off on screen and in the instruments, until released', async () => {
    const psu = bench.power_supply as Equipment;
    const load = bench.electronic_load as Equipment;
    await open(psu.id);
    const output = page.getByRole('switch', { name: 'CH1 output' });
    await expect.poll(() => output.getAttribute('aria-checked'), LIVE_TIMEOUT).toBe('true');

    await page.getByRole('button', { name: 'Emergency stop' }).click();
    await expect.poll(() => page.getByText('E-stop active').isVisible(), LIVE_TIMEOUT).toBe(true);
    await expect.poll(() => output.getAttribute('aria-checked'), LIVE_TIMEOUT).toBe('false');
    expect(await output.isDisabled()).toBe(true);
    expect(await queryInstrument(psu.resource_string, ':OUTP? CH1')).toBe('OFF');
    expect(await queryInstrument(load.resource_string, ':SOUR:INP:STAT?')).toBe('0');

    await page.getByRole('button', { name: 'Release emergency stop' }).click();
    await expect.poll(() => page.getByText('E-stop active').count(), LIVE_TIMEOUT).toBe(0);
    // Released, the outputs stay off until someone turns them on.
    expect(await output.getAttribute('aria-checked')).toBe('false');
    await expect.poll(() => output.isEnabled(), LIVE_TIMEOUT).toBe(true);
  }, 60_000);

  it('keeps working by polling while the WebSocket is cut, and goes live again by itself', async () => {
    const psu = bench.power_supply as Equipment;
    await open(psu.id);
    await expect.poll(connectionMode, LIVE_TIMEOUT).toBe('live');

    refuseSockets = true;
    for (const ws of sockets.splice(0)) await ws.close({ code: 4001, reason: 'cut by the test' });
    await expect.poll(connectionMode, LIVE_TIMEOUT).toBe('polling');

    // Still controllable and still showing live readings, now over HTTP.
    const field = page.getByLabel('CH1 voltage setpoint', { exact: true });
    await field.fill('3.3');
    await field.press('Enter');
    await page.getByRole('switch', { name: 'CH1 output' }).click();
    await expect
      .poll(async () => numberIn(await readout('CH1 measured voltage').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(3.3, 1);

    refuseSockets = false;
    await expect.poll(connectionMode, { timeout: 45_000, interval: 250 }).toBe('live');
    await expect
      .poll(() => page.getByRole('region', { name: 'Connection' }).textContent(), LIVE_TIMEOUT)
      .toMatch(/1 reconnect\b/);
  }, 90_000);

  it('disconnects an instrument, finds it again by discovery, reconnects and renames it', async () => {
    const dmm = bench.multimeter as Equipment;
    await open(dmm.id);
    await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, disconnect' }).click();
    const list = page.getByRole('list', { name: 'Instruments' });
    await expect.poll(() => list.getByRole('link', { name: /34461A/ }).count(), LIVE_TIMEOUT).toBe(0);

    // A slow instrument keeps discovery busy long enough to see its progress.
    const sim = server.bench.instruments.find((s) => s.resource === dmm.resource_string);
    sim?.faults.delay(400);
    await page.getByText('Add an instrument').click();
    await page.getByRole('button', { name: 'Discover instruments' }).click();
    await page.getByRole('progressbar', { name: 'Discovery in progress' }).waitFor();
    await page.getByRole('button', { name: `Connect ${dmm.resource_string}` }).waitFor(LIVE_TIMEOUT);
    await sim?.faults.clear();
    await page.getByRole('button', { name: `Connect ${dmm.resource_string}` }).click();
    await expect
      .poll(() => list.getByRole('link', { name: /34461A/ }).textContent(), LIVE_TIMEOUT)
      .toMatch(/Connected/);
    // The supply at 3.3 V since the polling test, the load's input off since the emergency stop: 3.3 V.
    await expect
      .poll(async () => numberIn(await readout('Multimeter reading').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(3.3, 1);

    await page.getByLabel('Nickname', { exact: true }).fill('Bench meter');
    await page.getByRole('button', { name: 'Save nickname' }).click();
    await expect
      .poll(() => list.getByRole('link', { name: /Bench meter \(34461A\)/ }).count(), LIVE_TIMEOUT)
      .toBe(1);
  }, 90_000);

  it('says in one line why an address cannot be connected, the forms it reads folded under it', async () => {
    const address = page.getByLabel('Address', { exact: true });
    const form = page.locator('form.connect-form');
    await address.fill('TCPIP0::lab-psu');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect
      .poll(() => form.getByRole('alert').textContent(), LIVE_TIMEOUT)
      .toBe(
        'Invalid request: "TCPIP0::lab-psu" is not an instrument address: it does not end in ::INSTR or ::SOCKET',
      );
    const forms = form.locator('details.accepted-forms');
    expect(await forms.getAttribute('open')).toBeNull(); // folded
    await forms.locator('summary').click();
    await expect.poll(() => forms.getByRole('listitem').count(), LIVE_TIMEOUT).toBeGreaterThanOrEqual(5);

    // A long address without a space wraps inside its toast, and the toast's close button stays inside the box.
    await address.fill(`TCPIP0::${'x'.repeat(180)}`);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    const toast = page.locator('.toast-error').filter({ hasText: 'x'.repeat(180) });
    await toast.waitFor();
    const box = await toast.boundingBox();
    const close = await toast.getByRole('button', { name: 'Dismiss notification' }).boundingBox();
    const viewport = page.viewportSize();
    expect(box && close && viewport).toBeTruthy();
    if (box && close && viewport) {
      expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
      expect(close.x).toBeGreaterThanOrEqual(box.x);
      expect(close.x + close.width).toBeLessThanOrEqual(box.x + box.width);
    }
    await toast.getByRole('button', { name: 'Dismiss notification' }).click();

    // A bare host is an address LabLink tries (its SCPI socket, port 5025): here nothing answers there.
    await address.fill('127.0.0.1:1');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect
      .poll(() => form.getByRole('alert').textContent(), LIVE_TIMEOUT)
      .toMatch(/TCPIP0::127\.0\.0\.1::1::SOCKET/);
    expect(await form.locator('details.accepted-forms').count()).toBe(0);
  }, 60_000);

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
