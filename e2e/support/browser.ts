// Debian's Chromium driven by playwright-core: never a downloaded browser. Without /usr/bin/chromium the browser
// suites are skipped with a notice naming the package, never silently.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** True when Chromium is installed; otherwise warns (once per suite) and returns false. */
export function chromiumAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.warn(
    `[${suite}] SKIPPED: ${CHROMIUM} not found. Install Debian's package "chromium" (apt-get install chromium) to run the browser tests.`,
  );
  return false;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile each time, so no state leaks between runs. */
export async function launchBrowser(viewport = { width: 1400, height: 1000 }): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'lablink-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
