// The SMU view in Debian's Chromium against a real LabLink server and a simulated Keithley 2400 (1 kΩ on its
// terminals) connected over TCP: a source level typed in the page reaches the instrument, the live readings
// follow it, and a compliance below what the resistor draws shows the "in compliance" badge.

import { type RunningSimulator, startSimulator } from '@lablink/instruments/sim';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { queryInstrument } from './support/scpi.js';
import { type BenchServer, ensureWebBuild, startBenchServer } from './support/server.js';

const LIVE_TIMEOUT = { timeout: 15_000, interval: 200 };

/** The number at the start of a readout such as "5.0002 V". */
function numberIn(text: string | null): number {
  return Number.parseFloat((text ?? '').replace(/[^\d.eE+-]+/g, ' ').trim());
}

describe.skipIf(!chromiumAvailable('SMU view'))('SMU view in Chromium', () => {
  let server: BenchServer;
  let sim: RunningSimulator;
  let browser: Browser;
  let page: Page;
  let id: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    server = await startBenchServer();
    sim = await startSimulator('2400');
    const res = await fetch(`${server.url}/api/equipment/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resource_string: sim.resource }),
    });
    expect(res.status).toBe(200);
    id = ((await res.json()) as { equipment_id: string }).equipment_id;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.stop();
  });

  it('sets a source level, turns the output on and shows the measured V and I; compliance shows its badge', async () => {
    await page.goto(`${server.url}/#/equipment/${id}`);
    await page.getByRole('heading', { level: 2 }).first().waitFor();
    await page.getByLabel('Source function', { exact: true }).selectOption('VOLT');

    const compliance = page.getByLabel('Compliance (current)', { exact: true });
    await compliance.fill('0.01');
    await compliance.press('Enter');
    await expect.poll(() => compliance.inputValue(), LIVE_TIMEOUT).toBe('0.01');

    const level = page.getByLabel('Source level (voltage)', { exact: true });
    await level.fill('4');
    await level.press('Enter');
    await expect.poll(() => level.inputValue(), LIVE_TIMEOUT).toBe('4');
    expect(await queryInstrument(sim.resource, ':SOUR:VOLT:LEV?')).toBe('+4.000000E+00');

    await page.getByRole('switch', { name: 'SMU output' }).click();
    const readout = (label: string) => page.getByLabel(label, { exact: true });
    // 4 V across 1 kΩ: 4 mA.
    await expect
      .poll(async () => numberIn(await readout('Measured voltage').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(4, 2);
    await expect
      .poll(async () => numberIn(await readout('Measured current').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(0.004, 4);
    await expect.poll(() => readout('SMU state').textContent(), LIVE_TIMEOUT).toBe('SOURCING V');

    // A 1 mA compliance holds the resistor at 1 V: the badge says so.
    await compliance.fill('0.001');
    await compliance.press('Enter');
    await expect.poll(() => readout('SMU state').textContent(), LIVE_TIMEOUT).toBe('IN COMPLIANCE');
    await expect
      .poll(async () => numberIn(await readout('Measured voltage').textContent()), LIVE_TIMEOUT)
      .toBeCloseTo(1, 2);

    // A level over the rating is refused on screen and never reaches the instrument.
    await level.fill('500');
    await level.press('Enter');
    const note = page.locator('form.setpoint', { has: level }).locator('.field-error');
    await expect.poll(() => note.textContent(), LIVE_TIMEOUT).toMatch(/voltage/);
    await expect.poll(() => level.inputValue(), LIVE_TIMEOUT).toBe('4');
    expect(await queryInstrument(sim.resource, ':SOUR:VOLT:LEV?')).toBe('+4.000000E+00');

    await page.getByRole('switch', { name: 'SMU output' }).click();
    await expect.poll(() => queryInstrument(sim.resource, ':OUTP?'), LIVE_TIMEOUT).toBe('0');
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
