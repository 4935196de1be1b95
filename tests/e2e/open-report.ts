// The HTML report as a user opens it: from file://, in Debian's Chromium, offline.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/**
 * Opens `file` once every chart is drawn, and asserts that the page logged no error and requested
 * nothing but the file itself. The caller closes the browser.
 */
export async function openReport(file: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => document.querySelectorAll("figure.chart:not([data-rendered-series])").length === 0, null, { timeout: 10_000 });
    assert.deepEqual(errors, [], "no console error");
    assert.deepEqual(requests, [url], "no request but the file itself");
    return { browser, page };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
