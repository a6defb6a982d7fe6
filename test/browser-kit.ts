/**
 * Building blocks of the dashboard's browser tests (test/dashboard-*.test.ts):
 * Debian's chromium driven by playwright-core, one browser per test file,
 * a fresh context (own session storage) per sign-in.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SETPOINT_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** One headless chromium for the test file; closed by `owner`'s after hook. */
export async function launchBrowser(owner: { after(fn: () => Promise<void>): void }): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `no chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set SETPOINT_CHROMIUM`,
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  owner.after(() => browser.close());
  return browser;
}

export interface Signed {
  context: BrowserContext;
  page: Page;
  /** Page errors and failed requests seen (a CSP violation shows here). */
  problems: string[];
}

/** A fresh browser context, the sign-in page filled with `token`, and the live view reached. */
export async function signIn(browser: Browser, url: string, token: string, path = '/'): Promise<Signed> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(url + path);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('connection').filter({ hasText: 'Live' }).waitFor({ timeout: 20_000 });
  return { context, page, problems };
}
