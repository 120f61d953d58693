import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** What a headless Chromium saw when it opened a report page. */
export interface PageCheck {
  consoleErrors: string[];
  /** Requests the page tried to make other than its own file (a self-contained page makes none). */
  requests: string[];
  /** Per chart (svg.chart): its kind, drawn marks, and rendered size. */
  charts: { kind: string; title: string; marks: number; width: number; height: number }[];
  sections: string[];
}

/** Opens an HTML file in Debian's chromium, checks what rendered, and takes a full-page screenshot. */
export async function checkPage(htmlPath: string, screenshot: string): Promise<PageCheck> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 150_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // the machine running the suite may be loaded by other work: allow generous time before calling it a failure
    page.setDefaultTimeout(150_000);
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    const own = pathToFileURL(htmlPath).href;
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => { if (r.url() !== own) requests.push(r.url()); });
    await page.goto(own, { waitUntil: 'load' });
    const charts = await page.$$eval('svg.chart', (els) => els.map((el) => {
      const box = el.getBoundingClientRect();
      const marks = Array.from(el.querySelectorAll('.mark')).filter((m) => {
        const b = (m as SVGGraphicsElement).getBBox();
        return b.width > 0 || b.height > 0;
      }).length;
      return { kind: el.getAttribute('data-chart') ?? '', title: el.getAttribute('aria-label') ?? '', marks, width: box.width, height: box.height };
    }));
    const sections = await page.$$eval('section h2', (els) => els.map((e) => e.textContent ?? ''));
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true, timeout: 150_000 });
    return { consoleErrors, requests, charts, sections };
  } finally {
    await browser.close();
  }
}
