// The Scheduler panel in Debian's Chromium against a real LabLink server and its simulated bench: the trigger
// builder shows a cron expression in words with its next five runs (and a bad one refused next to its field); a
// test sequence built step by step in the editor is stored as built; run now shows the run started, its progress,
// then completed, live and without a reload (the navigation badge counting it); a failing sequence shows its failed
// step in the history and raises a desktop notification; a step the server refuses shows at that step; the run
// history; a measurement job with JSON parameters; edit, pause, resume and delete; a run that ended while the
// WebSocket was cut shows once it is back; the notification off-switch is remembered. Screenshots of the panel go
// to docs/screenshots/scheduler*.png (when missing, or with LABLINK_SCREENSHOTS=1).

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { type BenchServer, ensureWebBuild, startBenchServer } from './support/server.js';

const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const LIVE_TIMEOUT = { timeout: 15_000, interval: 200 };
/** A run of a few seconds on a machine whose cores are busy with other suites. */
const RUN_TIMEOUT = { timeout: 45_000, interval: 200 };
const GOOD = 'PSU CH1 at 5 V';
const BAD = 'PSU CH1 above 9 V';

interface Equipment {
  id: string;
  type: string;
}

describe.skipIf(!chromiumAvailable('scheduler panel'))('Scheduler panel in Chromium', () => {
  let server: BenchServer;
  let browser: Browser;
  let page: Page;
  let psu: Equipment;
  const pageErrors: string[] = [];
  const sockets: WebSocketRoute[] = [];
  let refuseSockets = false;

  // biome-ignore lint/suspicious/noExplicitAny: REST bodies are checked field by field by the assertions
  const api = async (pathname: string, body?: unknown, method?: string): Promise<any> => {
    const response = await fetch(server.url + pathname, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${pathname}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const jobNamed = async (name: string): Promise<any> =>
    (await api('/api/scheduler/jobs')).jobs.find((j: { name: string }) => j.name === name);
  const jobs = () => page.getByRole('region', { name: 'Scheduled jobs' });
  const row = (name: string) => jobs().getByRole('row', { name, exact: true });
  const connectionMode = () => page.getByRole('region', { name: 'Connection' }).getAttribute('data-mode');
  const views = () => page.getByRole('navigation', { name: 'Scheduler views' });
  /** Every (execution, state, progress) the page has shown in a run status, in order, recorded in the page. */
  const runLog = () => page.evaluate(() => (globalThis as unknown as { runLog: string[] }).runLog);
  const stepGroup = (form: Locator, label: string) => form.getByRole('group', { name: label, exact: true });

  beforeAll(async () => {
    ensureWebBuild();
    server = await startBenchServer();
    const list = (await api('/api/equipment/list')) as Equipment[];
    psu = list.find((e) => e.type === 'power_supply') as Equipment;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.routeWebSocket(/\/ws$/, (ws) => {
      if (refuseSockets) return ws.close({ code: 4001, reason: 'cut by the test' });
      ws.connectToServer();
      sockets.push(ws);
    });
    await page.addInitScript(() => {
      const w = globalThis as unknown as Record<string, unknown>;
      // Desktop notifications allowed, and recorded.
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
      // What each run status showed, however briefly: "exec_…:running:progress", "exec_…:completed:". (The e2e
      // project has no DOM types: the page's objects are typed by hand.)
      interface El {
        getAttribute(name: string): string | null;
        hasAttribute(name: string): boolean;
        querySelector(selector: string): El | null;
      }
      const doc = w.document as {
        querySelectorAll(selector: string): Iterable<El>;
        querySelector(selector: string): El | null;
      };
      const Observer = w.MutationObserver as new (
        callback: () => void,
      ) => { observe(target: unknown, options: Record<string, boolean>): void };
      const log: string[] = [];
      w.runLog = log;
      const record = () => {
        for (const el of doc.querySelectorAll('[data-testid="run-status"]')) {
          const progress = el.querySelector('progress');
          const entry = `${el.getAttribute('data-execution')}:${el.getAttribute('data-state')}:${
            progress?.hasAttribute('value') ? 'progress' : ''
          }`;
          if (!log.includes(entry)) log.push(entry);
        }
        const badge = doc.querySelector('[data-testid="scheduler-badge"]');
        const count = `badge:${badge?.getAttribute('data-count') ?? 0}`;
        if (log.filter((e) => e.startsWith('badge:')).at(-1) !== count) log.push(count);
      };
      new Observer(record).observe(doc, {
        subtree: true,
        childList: true,
        attributes: true,
        characterData: true,
      });
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('opens with no jobs', async () => {
    await page.goto(`${server.url}/#/scheduler`);
    await page.getByRole('heading', { name: 'Scheduler', level: 2 }).waitFor();
    await expect.poll(connectionMode, LIVE_TIMEOUT).toBe('live');
    await page.getByText('No jobs yet.', { exact: false }).waitFor(LIVE_TIMEOUT);
  }, 60_000);

  it('shows a cron expression in words with its next five runs, and a bad one next to its field', async () => {
    await page.getByRole('link', { name: 'New job' }).click();
    const form = page.getByRole('form', { name: 'New job' });
    await form.getByLabel('Trigger', { exact: true }).selectOption('cron');
    await form.getByLabel('Cron expression', { exact: true }).fill('*/10 * * * * *');
    const preview = form.getByRole('region', { name: 'Trigger preview' });
    const times = preview.getByRole('list', { name: 'Next run times' }).locator('time');
    // The preview of the trigger as typed (the one shown before it is dimmed until the new one arrives).
    await expect
      .poll(() => preview.getByTestId('trigger-description').textContent(), LIVE_TIMEOUT)
      .toMatch(/10 seconds/i);
    await expect.poll(() => preview.getAttribute('aria-busy'), LIVE_TIMEOUT).toBe('false');
    expect(await times.count()).toBe(5);
    const instants = (await times.evaluateAll((els) => els.map((e) => e.getAttribute('datetime')))).map((t) =>
      Date.parse(t as string),
    );
    for (let i = 1; i < instants.length; i++)
      expect((instants[i] as number) - (instants[i - 1] as number)).toBe(10_000);

    // Weekly at 08:30 on Wednesdays: the preview follows the builder.
    await form.getByLabel('Trigger', { exact: true }).selectOption('weekly');
    await form.getByLabel('Day of the week', { exact: true }).selectOption({ label: 'Wednesday' });
    await form.getByLabel('Time of day', { exact: true }).fill('08:30');
    await form.getByLabel('Time zone', { exact: true }).fill('UTC');
    await expect
      .poll(
        async () =>
          (await times.evaluateAll((els) => els.map((e) => e.getAttribute('datetime')))).map((t) =>
            new Date(t as string).toISOString().slice(11, 16),
          ),
        LIVE_TIMEOUT,
      )
      .toEqual(['08:30', '08:30', '08:30', '08:30', '08:30']);
    const days = await times.evaluateAll((els) =>
      els.map((e) => new Date(e.getAttribute('datetime') as string).getUTCDay()),
    );
    expect(days).toEqual([3, 3, 3, 3, 3]);

    await form.getByLabel('Trigger', { exact: true }).selectOption('cron');
    await form.getByLabel('Cron expression', { exact: true }).fill('61 * * * *');
    const field = form.locator('.form-field', { has: page.getByLabel('Cron expression', { exact: true }) });
    await expect
      .poll(() => field.getByRole('alert').textContent(), LIVE_TIMEOUT)
      .toMatch(/^(Invalid request|Refused): .+/);
    await form.getByRole('button', { name: 'Cancel' }).click();
    await jobs().waitFor();
  }, 60_000);

  it('creates a test sequence step by step in the editor', async () => {
    await page.getByRole('link', { name: 'New job' }).click();
    const form = page.getByRole('form', { name: 'New job' });
    await form.getByLabel('Name', { exact: true }).fill(GOOD);
    await form.getByLabel('Job type', { exact: true }).selectOption('script');
    await form.getByLabel('Instrument', { exact: true }).first().selectOption(psu.id);
    await form.getByLabel('Trigger', { exact: true }).selectOption('daily');
    await form.getByLabel('Time of day', { exact: true }).fill('02:30');

    const steps = form.getByRole('region', { name: 'Steps', exact: true });
    const add = async (type: string) => {
      await steps.getByLabel('New step type', { exact: true }).selectOption(type);
      await steps.getByRole('button', { name: 'Add step', exact: true }).click();
    };
    await add('set');
    const one = stepGroup(steps, 'Step 1');
    await expect
      .poll(() => one.getByLabel('Action', { exact: true }).locator('option').count(), LIVE_TIMEOUT)
      .toBeGreaterThan(2);
    await one.getByLabel('Action', { exact: true }).selectOption('set_voltage');
    await one.getByLabel('voltage', { exact: true }).fill('5');
    await one.getByLabel('channel', { exact: true }).fill('1');
    await add('set');
    const two = stepGroup(steps, 'Step 2');
    await expect
      .poll(() => two.getByLabel('Action', { exact: true }).locator('option').count(), LIVE_TIMEOUT)
      .toBeGreaterThan(2);
    await two.getByLabel('Action', { exact: true }).selectOption('set_output');
    await two.getByLabel('enabled', { exact: true }).selectOption('true');
    await two.getByLabel('channel', { exact: true }).fill('1');
    // A check added too early, moved to the end below, and a measure step added then removed.
    await add('check');
    await add('measure');
    await stepGroup(steps, 'Step 4').getByLabel('Name', { exact: true }).fill('to be removed');
    await steps.getByRole('button', { name: 'Remove step 4' }).click();
    await expect.poll(() => stepGroup(steps, 'Step 4').count()).toBe(0);
    await add('wait');
    await stepGroup(steps, 'Step 4').getByLabel('Seconds', { exact: true }).fill('2');
    await steps.getByRole('button', { name: 'Move step 4 up' }).click();
    await expect
      .poll(
        () => stepGroup(steps, 'Step 3').getByLabel('Seconds', { exact: true }).inputValue(),
        LIVE_TIMEOUT,
      )
      .toBe('2');
    const check = stepGroup(steps, 'Step 4');
    await check.getByLabel('Name', { exact: true }).fill('CH1 near 5 V');
    await expect
      .poll(() => check.getByLabel('Reading', { exact: true }).locator('option').count(), LIVE_TIMEOUT)
      .toBeGreaterThan(2);
    await check.getByLabel('Reading', { exact: true }).selectOption('voltage_actual');
    await check.getByLabel('Channel', { exact: true }).selectOption('1');
    await check.getByLabel('Low limit', { exact: true }).fill('4.9');
    await check.getByLabel('High limit', { exact: true }).fill('5.1');

    await expect
      .poll(() => form.getByRole('list', { name: 'Next run times' }).locator('time').count(), LIVE_TIMEOUT)
      .toBe(5);
    await screenshot(page, 'scheduler-editor.png');
    await form.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('region', { name: `Job ${GOOD}` }).waitFor(LIVE_TIMEOUT);
    const stored = await jobNamed(GOOD);
    expect(stored).toMatchObject({
      schedule_type: 'script',
      equipment_id: psu.id,
      trigger_type: 'daily',
      time_of_day: '02:30',
      enabled: true,
      status: 'scheduled',
    });
    expect(stored.next_runs).toHaveLength(5);
    expect(stored.parameters.steps).toEqual([
      { type: 'set', action: 'set_voltage', parameters: { voltage: 5, channel: 1 } },
      { type: 'set', action: 'set_output', parameters: { enabled: true, channel: 1 } },
      { type: 'wait', seconds: 2 },
      { type: 'check', name: 'CH1 near 5 V', field: 'voltage_actual', channel: 1, min: 4.9, max: 5.1 },
    ]);
    // Its page says its steps in words and lists its next five runs.
    await page.getByText('The steps', { exact: true }).click();
    await expect
      .poll(
        () =>
          page
            .getByRole('list', { name: `Steps of ${GOOD}` })
            .getByRole('listitem')
            .allTextContents(),
        LIVE_TIMEOUT,
      )
      .toEqual([
        'set set_voltage voltage=5 channel=1',
        'set set_output enabled=true channel=1',
        'wait 2 s',
        'CH1 near 5 V: check voltage_actual (CH1) within 4.9 … 5.1',
      ]);
    await expect
      .poll(
        () =>
          page
            .getByRole('list', { name: `Next runs of ${GOOD}` })
            .getByRole('listitem')
            .count(),
        LIVE_TIMEOUT,
      )
      .toBe(5);
  }, 90_000);

  it('runs a job now: started, its progress, then completed, live', async () => {
    await views().getByRole('link', { name: 'Jobs' }).click();
    await row(GOOD).waitFor(LIVE_TIMEOUT);
    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 42;
    });
    await row(GOOD)
      .getByRole('button', { name: `Run ${GOOD} now` })
      .click();
    const status = row(GOOD).getByTestId('run-status');
    await expect.poll(() => status.getAttribute('data-state'), RUN_TIMEOUT).toBe('completed');
    const execution = (await status.getAttribute('data-execution')) as string;
    expect(execution).toMatch(/^exec_[0-9a-f]{12}$/);
    const seen = (await runLog()).filter((e) => e.startsWith(`${execution}:`));
    expect(seen[0]).toMatch(/:running:/);
    expect(seen).toContain(`${execution}:running:progress`);
    expect(seen.at(-1)).toBe(`${execution}:completed:`);
    // The navigation's badge counted the running job, on every panel, and went when it ended.
    expect(await runLog()).toContain('badge:1');
    expect(await page.getByTestId('scheduler-badge').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);

    const stored = (await api(`/api/scheduler/executions/${execution}`)).execution;
    expect(stored).toMatchObject({ status: 'completed', verdict: 'pass', trigger_info: { kind: 'run_now' } });
    // Its history shows the run with its verdict.
    await row(GOOD).getByRole('link', { name: GOOD, exact: true }).click();
    const history = page.getByRole('table', { name: `Runs of ${GOOD}` });
    const run = history.locator(`tr[data-execution="${execution}"]`);
    await run.waitFor(LIVE_TIMEOUT);
    expect(await run.getAttribute('data-status')).toBe('completed');
    expect(await run.textContent()).toMatch(/Run now.*Completed.*Pass/);
  }, 90_000);

  it('shows the failed step of a failing sequence, and notifies', async () => {
    await api('/api/scheduler/jobs/create', {
      name: BAD,
      schedule_type: 'script',
      equipment_id: psu.id,
      trigger_type: 'interval',
      interval_hours: 12,
      parameters: {
        steps: [
          { type: 'set', action: 'set_voltage', parameters: { voltage: 5, channel: 1 } },
          { type: 'set', action: 'set_output', parameters: { enabled: true, channel: 1 } },
          { type: 'wait', seconds: 0.5 },
          { type: 'check', name: 'CH1 above 9 V', field: 'voltage_actual', channel: 1, min: 9 },
        ],
      },
    });
    await views().getByRole('link', { name: 'Jobs' }).click();
    await row(BAD).waitFor(LIVE_TIMEOUT); // job_created, without a reload
    await row(BAD).getByRole('link', { name: BAD, exact: true }).click();
    const detail = page.getByRole('region', { name: `Job ${BAD}` });
    await detail.getByRole('button', { name: `Run ${BAD} now` }).click();
    const status = detail.getByTestId('run-status');
    await expect.poll(() => status.getAttribute('data-state'), RUN_TIMEOUT).toBe('failed');
    const execution = (await status.getAttribute('data-execution')) as string;
    expect(await status.textContent()).toMatch(/CH1 above 9 V/);

    const run = detail.locator(`tr[data-execution="${execution}"]`);
    await expect.poll(() => run.getAttribute('data-status'), LIVE_TIMEOUT).toBe('failed');
    expect(await run.textContent()).toMatch(/Failed.*Fail/);
    // A failed run opens by itself: the failing step with its value and limit.
    const steps = detail.getByRole('table', { name: `Steps of run ${execution}` });
    const failed = steps.getByRole('row', { name: 'CH1 above 9 V' });
    await failed.waitFor(LIVE_TIMEOUT);
    expect(await failed.getAttribute('data-verdict')).toBe('fail');
    expect(await failed.textContent()).toMatch(/≥ 9/);
    expect(await steps.locator('tr[data-verdict="pass"]').count()).toBe(3);
    const failedFigure = detail
      .getByRole('definition')
      .filter({ has: page.locator('xpath=preceding-sibling::dt[1][text()="Failed"]') });
    await expect.poll(() => failedFigure.textContent(), LIVE_TIMEOUT).toBe('1');

    const shown = () =>
      page.evaluate(
        () => (globalThis as unknown as { shownNotifications: { title: string }[] }).shownNotifications,
      );
    await expect
      .poll(async () => (await shown()).map((n) => n.title), LIVE_TIMEOUT)
      .toContain(`LabLink job failed: ${BAD}`);
    expect((await shown()).filter((n) => n.title === `LabLink job failed: ${GOOD}`)).toEqual([]);
    await screenshot(page, 'scheduler-run.png');
  }, 90_000);

  it("shows the server's refusal of a step next to that step's field, storing nothing", async () => {
    await views().getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('link', { name: 'New job' }).click();
    const form = page.getByRole('form', { name: 'New job' });
    await form.getByLabel('Name', { exact: true }).fill('Too long a wait');
    await form.getByLabel('Instrument', { exact: true }).first().selectOption(psu.id);
    const steps = form.getByRole('region', { name: 'Steps', exact: true });
    await steps.getByLabel('New step type', { exact: true }).selectOption('wait');
    await steps.getByRole('button', { name: 'Add step', exact: true }).click();
    const seconds = stepGroup(steps, 'Step 1').getByLabel('Seconds', { exact: true });
    await seconds.fill('100000'); // more than a day
    await form.getByRole('button', { name: 'Create job' }).click();
    const field = stepGroup(steps, 'Step 1').locator('.form-field', {
      has: page.getByLabel('Seconds', { exact: true }),
    });
    await expect
      .poll(() => field.getByRole('alert').textContent(), LIVE_TIMEOUT)
      .toMatch(/^(Invalid request|Refused): .+/);
    expect(await seconds.getAttribute('aria-invalid')).toBe('true');
    expect(await jobNamed('Too long a wait')).toBeUndefined();
    await form.getByRole('button', { name: 'Cancel' }).click();
    await jobs().waitFor();
  }, 60_000);

  it('lists every run in the run history, filtered by status', async () => {
    await views().getByRole('link', { name: 'Run history' }).click();
    const history = page.getByRole('table', { name: 'Runs of every job' });
    await expect.poll(() => history.locator('tbody tr[data-execution]').count(), LIVE_TIMEOUT).toBe(2);
    await page
      .getByRole('region', { name: 'Run history' })
      .getByLabel('Status', { exact: true })
      .selectOption('failed');
    await expect.poll(() => history.locator('tbody tr[data-execution]').count(), LIVE_TIMEOUT).toBe(1);
    expect(await history.locator('tbody tr[data-execution]').first().textContent()).toContain(BAD);
  }, 60_000);

  it('creates a measurement job with its parameters as JSON, and runs it', async () => {
    await views().getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('link', { name: 'New job' }).click();
    const form = page.getByRole('form', { name: 'New job' });
    await form.getByLabel('Name', { exact: true }).fill('PSU CH1 reading');
    await form.getByLabel('Job type', { exact: true }).selectOption('measurement');
    await form.getByLabel('Instrument', { exact: true }).selectOption(psu.id);
    await form.getByLabel('Hours', { exact: true }).fill('1');
    await form.getByLabel('Minutes', { exact: true }).fill('');
    await form
      .getByLabel('Parameters (JSON)', { exact: true })
      .fill('{"channel": 1, "fields": ["voltage_actual", "current_actual"]}');
    await form.getByRole('button', { name: 'Create job' }).click();
    const detail = page.getByRole('region', { name: 'Job PSU CH1 reading' });
    await detail.waitFor(LIVE_TIMEOUT);
    expect(await jobNamed('PSU CH1 reading')).toMatchObject({
      schedule_type: 'measurement',
      trigger_type: 'interval',
      interval_hours: 1,
      parameters: { channel: 1, fields: ['voltage_actual', 'current_actual'] },
    });
    await detail.getByRole('button', { name: 'Run PSU CH1 reading now' }).click();
    const status = detail.getByTestId('run-status');
    await expect.poll(() => status.getAttribute('data-state'), RUN_TIMEOUT).toBe('completed');
    const execution = (await status.getAttribute('data-execution')) as string;
    const run = detail.locator(`tr[data-execution="${execution}"]`);
    await expect.poll(() => run.textContent(), LIVE_TIMEOUT).toMatch(/voltage_actual/);
    // Deleted from its own page, back to the list.
    await detail.getByRole('button', { name: 'Delete PSU CH1 reading…' }).click();
    await detail.getByRole('button', { name: 'Delete PSU CH1 reading', exact: true }).click();
    await jobs().waitFor(LIVE_TIMEOUT);
    expect(await jobNamed('PSU CH1 reading')).toBeUndefined();
  }, 60_000);

  it('edits a job: the new trigger is stored and shown', async () => {
    await views().getByRole('link', { name: 'Jobs' }).click();
    await row(GOOD)
      .getByRole('link', { name: `Edit ${GOOD}` })
      .click();
    const form = page.getByRole('form', { name: `Edit ${GOOD}` });
    expect(await form.getByLabel('Time of day', { exact: true }).inputValue()).toMatch(/^02:30/);
    await form.getByLabel('Trigger', { exact: true }).selectOption('monthly');
    await form.getByLabel('Day of the month', { exact: true }).fill('15');
    await form.getByLabel('Time of day', { exact: true }).fill('06:00');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('region', { name: `Job ${GOOD}` }).waitFor(LIVE_TIMEOUT);
    const stored = await jobNamed(GOOD);
    expect(stored).toMatchObject({ trigger_type: 'monthly', day_of_month: 15, time_of_day: '06:00' });
    expect(stored.parameters.steps).toHaveLength(4);
  }, 60_000);

  it('pauses and resumes a job, and deletes one after a confirm', async () => {
    await views().getByRole('link', { name: 'Jobs' }).click();
    await row(BAD)
      .getByRole('button', { name: `Pause ${BAD}` })
      .click();
    await expect.poll(() => row(BAD).getAttribute('data-status'), LIVE_TIMEOUT).toBe('paused');
    expect(await row(BAD).getByTestId('next-run').textContent()).toBe('—');
    expect((await jobNamed(BAD)).enabled).toBe(false);
    await row(BAD)
      .getByRole('button', { name: `Resume ${BAD}` })
      .click();
    await expect.poll(() => row(BAD).getAttribute('data-status'), LIVE_TIMEOUT).toBe('scheduled');
    expect((await jobNamed(BAD)).enabled).toBe(true);

    await screenshot(page, 'scheduler.png');

    await row(BAD)
      .getByRole('button', { name: `Delete ${BAD}…` })
      .click();
    await row(BAD)
      .getByRole('button', { name: `Delete ${BAD}`, exact: true })
      .click();
    await expect.poll(() => row(BAD).count(), LIVE_TIMEOUT).toBe(0);
    expect(await jobNamed(BAD)).toBeUndefined();
    expect(await row(GOOD).count()).toBe(1);
  }, 60_000);

  it('catches up over REST on a run that ended while the WebSocket was cut', async () => {
    const status = row(GOOD).getByTestId('run-status');
    const job = await jobNamed(GOOD);
    refuseSockets = true;
    for (const ws of sockets.splice(0)) await ws.close({ code: 4001, reason: 'cut by the test' });
    await expect.poll(connectionMode, LIVE_TIMEOUT).not.toBe('live');
    const { execution_id } = await api(`/api/scheduler/jobs/${job.job_id}/run`, {});
    await expect
      .poll(
        async () => (await api(`/api/scheduler/executions/${execution_id}`)).execution.status,
        RUN_TIMEOUT,
      )
      .toBe('completed');
    refuseSockets = false;
    await expect.poll(connectionMode, { timeout: 45_000, interval: 250 }).toBe('live');
    await expect.poll(() => status.getAttribute('data-execution'), LIVE_TIMEOUT).toBe(execution_id);
    await expect.poll(() => status.getAttribute('data-state'), LIVE_TIMEOUT).toBe('completed');
  }, 90_000);

  it('remembers in this browser when failure notifications are turned off', async () => {
    const toggle = page.getByRole('checkbox', { name: 'Notify me when a job fails' });
    await toggle.uncheck();
    await page.reload();
    await page.getByRole('heading', { name: 'Scheduler', level: 2 }).waitFor();
    expect(await toggle.isChecked()).toBe(false);
    // After the reload each job's latest run comes from the history.
    await expect
      .poll(() => row(GOOD).getByTestId('run-status').getAttribute('data-state'), LIVE_TIMEOUT)
      .toBe('completed');
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
        ).localStorage.getItem('lablink.scheduler.alerts'),
      ),
    ).toBe(JSON.stringify({ desktop: false }));
    // A job that fails now raises no notification; its failure still shows in the list.
    const { job_id } = await api('/api/scheduler/jobs/create', {
      name: 'Fails quietly',
      schedule_type: 'script',
      equipment_id: psu.id,
      trigger_type: 'interval',
      interval_hours: 12,
      parameters: { steps: [{ type: 'check', field: 'voltage_actual', channel: 1, max: -1 }] },
    });
    await row('Fails quietly').waitFor(LIVE_TIMEOUT);
    await api(`/api/scheduler/jobs/${job_id}/run`, {});
    await expect
      .poll(() => row('Fails quietly').getByTestId('run-status').getAttribute('data-state'), RUN_TIMEOUT)
      .toBe('failed');
    const titles = await page.evaluate(() =>
      (globalThis as unknown as { shownNotifications: { title: string }[] }).shownNotifications.map(
        (n) => n.title,
      ),
    );
    expect(titles).not.toContain('LabLink job failed: Fails quietly');
    await toggle.check();
  }, 60_000);

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, name);
  if (existsSync(file) && process.env.LABLINK_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Without the action's toasts.
  const dismiss = page.getByRole('button', { name: 'Dismiss notification' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  // From the top, so that the sticky bar is drawn where it belongs.
  await page.evaluate(() =>
    (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
  );
  await page.waitForTimeout(1000);
  await page.screenshot({ path: file, fullPage: true });
}
