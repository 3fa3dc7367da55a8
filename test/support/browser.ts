/**
 * A real browser for the console's tests: Debian's chromium driven by playwright-core (never a downloaded browser).
 * Without chromium the browser tests are skipped on a workstation and FAIL under CI=true (.ci/run installs it).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotsDir = path.resolve(import.meta.dirname, '../../test-results');

/** Why the browser tests cannot run here, or null when they can. Under CI a missing browser is an error, not a skip. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `${CHROMIUM} not found (apt-get install chromium, or CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
  return why;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Screenshot of the page at 1280 px and 375 px wide, full page, under test-results/ (ignored by git). */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotsDir, { recursive: true });
  // The folder ignores itself: screenshots are run output, never committed.
  writeFileSync(path.join(screenshotsDir, '.gitignore'), '*\n');
  const before = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(screenshotsDir, `console-${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await page.screenshot({ path: path.join(screenshotsDir, `console-${name}-375.png`), fullPage: true });
  await page.setViewportSize(before);
}
