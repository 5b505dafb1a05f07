// The viewer against an agent that requires its access token: opened with
// `?token=`, it trades the token for the agent's HttpOnly cookie (so the WebSocket,
// which cannot carry a header, is authorised too), drops it from the address and
// keeps the other parameters; opened without, it says what is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURES, UI_DIST, launchBrowser, missing, serveAgent, tempDir } from './agent.mjs';

const TOKEN = 'e2e-token-4f1c9a7d2b6e8035';
const why = missing();
if (why) {
  console.log(`SKIP viewer token tests: ${why}`);
  test.skip(`viewer with an access token (${why})`, () => {});
  test.run();
} else {
  const ctx = { agent: null, browser: null };

  test.before(async () => {
    assert.ok(existsSync(UI_DIST), `the viewer is not built (${UI_DIST}): run npm run build`);
    const dir = tempDir();
    ctx.agent = await serveAgent(['replay', join(CAPTURES, 'tls12-ecdhe-rsa.pcap'), '--serve', '127.0.0.1:0', '--db', join(dir, 't.db'), '--no-progress'], { env: { INTRANSIT_TOKEN: TOKEN } });
    ctx.browser = await launchBrowser();
  });

  test.after(async () => {
    await ctx.browser?.close();
    await ctx.agent?.stop();
  });

  test('without the token the viewer says it is not authorised', async () => {
    const res = await fetch(`${ctx.agent.url}/api/info`);
    assert.is(res.status, 401);
    const page = await ctx.browser.newPage();
    await page.goto(`${ctx.agent.url}/sessions`);
    await page.locator('.banner-bad').filter({ hasText: /not authorised/ }).waitFor({ timeout: 10_000 });
    await page.close();
  });

  test('with ?token= the API and the live feed work, and the token leaves the address', async () => {
    const context = await ctx.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${ctx.agent.url}/sessions?token=${TOKEN}&sni=www.intransit.test`);
    await page.locator('.vt-row', { hasText: 'www.intransit.test' }).first().waitFor({ timeout: 10_000 });
    const url = new URL(page.url());
    assert.is(url.searchParams.get('token'), null, 'token removed from the address');
    assert.is(url.searchParams.get('sni'), 'www.intransit.test', 'other parameters kept');
    await page.locator('[data-testid="feed-status"][data-status="open"]').waitFor({ timeout: 10_000 });
    const cookies = await context.cookies();
    const c = cookies.find((x) => x.name === 'intransit_token');
    assert.ok(c && c.httpOnly, 'the agent set its HttpOnly cookie');
    // a reload without the parameter stays authorised through the cookie
    await page.goto(`${ctx.agent.url}/findings`);
    await page.locator('.vt-row').first().waitFor({ timeout: 10_000 });
    assert.is(await page.locator('.banner-bad').count(), 0);
    await context.close();
  });

  test.run();
}
