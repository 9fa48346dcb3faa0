/**
 * The console's accessibility, audited by a tool: axe-core injected into every page (chromium + playwright-core),
 * failing on any violation of serious or critical impact, at a desktop width and at a 375px phone width (where
 * nothing may scroll sideways); and a form completed with the keyboard alone.
 */
import { createRequire } from 'node:module';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateRange, exampleAvailability, writeAvailabilityCsv } from '../../demo/availability-data.js';
import { claimForOrdering, enqueueOrderRequest, reconcileInterruptedOrders } from '../../src/orders/index.js';
import { testDatabaseKinds } from '../helpers/database.js';
import { type ConsoleWorld, USERS, createConsoleWorld, hasChromium } from './console-world.js';

const kind = testDatabaseKinds[0]!;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PHONE = 375;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

describe.skipIf(!hasChromium)(`console accessibility in chromium (${kind})`, () => {
  let w: ConsoleWorld;
  let operator: BrowserContext;
  let page: Page;
  /** Console paths (after the prefix) of every kind of page, with data in them. */
  let paths: string[];

  beforeAll(async () => {
    w = await createConsoleWorld(kind);
    const db = w.app.db.kysely;
    await writeAvailabilityCsv(w.csv, exampleAvailability(['91'], dateRange('2027-06-01', 3)), ['91,2027-02-30,ja,Hele dag,,9500,,,']);
    const rejected = await w.app.runner.run('boats');
    const failed = await w.app.runner.run('leaky');
    // A request that needs attention (its answer forms), and a pending one.
    const { request: attention } = await enqueueOrderRequest(db, { upstream: 'planviewer', pipeline: 'pv', request: { address: 'Castellastraat 2, 6512EX Nijmegen', product: 'vraagprijsrapport' } });
    await claimForOrdering(db, { requestId: attention.id, upstream: 'planviewer', pipeline: 'pv', target: 'intention', dailyCap: 100, timeZone: 'Europe/Amsterdam' });
    await reconcileInterruptedOrders(db, { upstream: 'planviewer', pipeline: 'pv' });
    const { request: pending } = await enqueueOrderRequest(db, { upstream: 'planviewer', pipeline: 'pv', request: { address: 'Dorpsweg 8, 9999 AA Groningen', product: 'percelenrapport' } });
    paths = ['', 'pipelines/boats', `runs/${rejected.runId}`, `runs/${failed.runId}`, 'rejections', 'orders', `orders/${attention.id}`, `orders/${pending.id}`, 'files', 'upstreams', 'actions'];
    // The console's CSP allows no script, rightly; the audit's own script is let in by the browser.
    operator = await w.browser.newContext({ viewport: { width: 1100, height: 800 }, bypassCSP: true });
    page = await operator.newPage();
    await page.goto(`${w.base}login`);
    await page.getByLabel('Name').fill(USERS.operator.name);
    await page.getByLabel('Password').fill(USERS.operator.password);
    await Promise.all([page.waitForURL(w.base), page.getByRole('button', { name: 'Sign in' }).click()]);
  }, 120_000);
  afterAll(async () => {
    await operator?.close();
    await w?.close();
  });

  /** axe-core's serious and critical findings on the page as it is now, one line each. */
  async function seriousViolations(p: Page): Promise<string[]> {
    await p.addScriptTag({ path: AXE });
    const violations = await p.evaluate<AxeViolation[]>("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)");
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${p.url()}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  }

  it('every page has no serious or critical axe violation, at desktop width and on a 375px phone without sideways scroll', async () => {
    const found: string[] = [];
    for (const width of [1100, PHONE]) {
      await page.setViewportSize({ width, height: 800 });
      for (const path of paths) {
        const response = await page.goto(`${w.base}${path}`);
        expect(response?.status(), path).toBe(200);
        found.push(...(await seriousViolations(page)));
        if (width === PHONE) {
          const scroll = await page.evaluate<number>('document.documentElement.scrollWidth');
          if (scroll > PHONE) found.push(`${page.url()}: ${scroll}px wide on a ${PHONE}px screen`);
          // A table that scrolls sideways on a phone must be reachable by keyboard, and named.
          const unreachable = await page.evaluate<string[]>(
            "[...document.querySelectorAll('.scroll')].filter((e) => e.tabIndex < 0 || !e.getAttribute('aria-label')).map((e) => e.querySelector('th')?.textContent ?? '?')",
          );
          for (const table of unreachable) found.push(`${page.url()}: the table starting "${table}" scrolls without keyboard access`);
        }
      }
    }
    // The sign-in page, to someone not signed in (with an error shown, its alert included).
    const guest = await w.browser.newContext({ viewport: { width: PHONE, height: 700 }, bypassCSP: true });
    try {
      const p = await guest.newPage();
      await p.goto(`${w.base}login`);
      found.push(...(await seriousViolations(p)));
      await p.getByLabel('Name').fill('nobody');
      await p.getByLabel('Password').fill('wrong');
      await Promise.all([p.waitForEvent('framenavigated'), p.getByRole('button', { name: 'Sign in' }).click()]);
      await p.waitForLoadState();
      expect(await p.getByRole('alert').count()).toBe(1);
      found.push(...(await seriousViolations(p)));
      expect(await p.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE);
    } finally {
      await guest.close();
    }
    expect(found).toEqual([]);
  }, 300_000); // 24 page audits: minutes on a busy two-core machine

  it('signs in and starts a run with the keyboard alone (Tab and Enter)', async () => {
    const guest = await w.browser.newContext();
    try {
      const p = await guest.newPage();
      await p.goto(`${w.base}login`);
      await tabTo(p, p.getByLabel('Name'));
      await p.keyboard.type(USERS.operator.name);
      await p.keyboard.press('Tab');
      await p.keyboard.type(USERS.operator.password);
      await Promise.all([p.waitForURL(w.base), p.keyboard.press('Enter')]);
      expect((await p.getByRole('heading', { level: 1 }).innerText()).trim()).toBe('Pipelines');
      // The first Tab reaches the skip link, which takes the keyboard past the navigation.
      await p.keyboard.press('Tab');
      expect(await p.evaluate<string>('document.activeElement.textContent')).toBe('Skip to content');
      await tabTo(p, p.getByRole('button', { name: 'Run boats now' }));
      await Promise.all([p.waitForEvent('framenavigated'), p.keyboard.press('Enter')]);
      await p.waitForLoadState();
      expect(await p.getByRole('status').innerText()).toContain(`Run of boats requested by ${USERS.operator.name}`);
    } finally {
      await guest.close();
    }
  });

  /** Presses Tab until `target` has the focus (at most 60 times). */
  async function tabTo(p: Page, target: Locator): Promise<void> {
    for (let i = 0; i < 60; i++) {
      if (await target.evaluate((el) => el === el.ownerDocument.activeElement)) return;
      await p.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached ${String(target)}`);
  }
});
