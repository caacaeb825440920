/**
 * Drives the web console in Debian's chromium (playwright-core, no downloaded browser) and fails
 * on anything the page reports: console errors, uncaught exceptions and CSP violations (seen by
 * an init script listening to `securitypolicyviolation`, as the CSP itself reports nothing to us).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Flags for Debian's chromium on a machine with no outside network (as the Web UI test). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACT_DIR = path.join(ROOT, 'test', '.tmp', 'console');
const DOCS_IMAGES = path.join(ROOT, 'docs', 'images');

/** Launches chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A page with its problems collected. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, page errors and CSP violations, in order. */
  problems: string[];
}

/**
 * A fresh browser context (own sessionStorage) and page that records every console error,
 * uncaught exception and CSP violation. `expected` lists console messages a test provokes on
 * purpose (e.g. chromium logging the 401 of a request sent without a key).
 */
export async function watchedPage(browser: Browser, expected: RegExp[] = []): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  // A string, run in the page before its own scripts (this file is compiled without DOM types).
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + event.blockedURI);
    });`,
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Patterns see the text and the URL it is about (chromium puts a failed request's URL there).
    const text = `${message.text()} (${message.location().url})`;
    if (expected.some((pattern) => pattern.test(text))) return;
    problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return { page, context, problems };
}

/**
 * Saves a screenshot of the current view to test/.tmp/console/ (an artifact), and with
 * UPDATE_README_SCREENSHOT=1 also as docs/images/console-<name>.png (what README and
 * docs/console.md show), so ordinary test runs leave the committed images alone.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(ARTIFACT_DIR, { recursive: true });
  const file = path.join(ARTIFACT_DIR, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_README_SCREENSHOT === '1') {
    await fs.copyFile(file, path.join(DOCS_IMAGES, `console-${name}.png`));
  }
}
