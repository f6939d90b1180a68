// Drives Debian's headless Chromium through the lab for tests/browser.rs:
// load the page, reload it in the same profile, ask for a missing path.
// Prints one line per fact: "response PHASE STATUS RANGE PATH" for every
// response the browser saw, "check NAME VALUE" for what the page showed.
//
// Usage: node lab.mjs BASE_URL PROFILE_DIR SCREENSHOT_PNG
import { check, launch } from './launch.mjs';

const [base, profile, screenshot] = process.argv.slice(2);
const context = await launch(profile, { viewport: { width: 900, height: 720 } });
const page = context.pages()[0] ?? (await context.newPage());

// The browser's own network records, from the DevTools protocol: the
// status on the wire (a revalidated page is 304 there, though the page
// then shows the cached 200) and the request headers actually sent.
let phase = 'load';
const sent = new Map();
const cdp = await context.newCDPSession(page);
await cdp.send('Network.enable');
cdp.on('Network.requestWillBeSentExtraInfo', (event) => {
  const range = Object.entries(event.headers).find(([name]) => name.toLowerCase() === 'range');
  sent.set(event.requestId, range ? range[1] : '-');
});
const responses = [];
cdp.on('Network.responseReceivedExtraInfo', (event) => {
  responses.push(event);
});
cdp.on('Network.responseReceived', (event) => {
  const url = new URL(event.response.url);
  if (!url.protocol.startsWith('http')) return; // the player's built-in icons
  const path = url.pathname;
  responses.push({ requestId: event.requestId, path, fromCache: event.response.fromDiskCache });
});
// The Content-Encoding each path came with, on the wire, per phase.
const encodings = new Map();
const settle = async () => {
  await page.waitForLoadState('networkidle');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const paths = new Map();
  const statuses = new Map();
  const coded = new Map();
  for (const event of responses.splice(0)) {
    if (event.path) paths.set(event.requestId, event.path);
    else {
      statuses.set(event.requestId, event.statusCode);
      const field = Object.entries(event.headers).find(([name]) => name.toLowerCase() === 'content-encoding');
      coded.set(event.requestId, field ? field[1] : 'identity');
    }
  }
  for (const [id, path] of paths) encodings.set(`${phase} ${path}`, coded.get(id));
  for (const [id, path] of paths) {
    const status = statuses.get(id) ?? 'cache';
    console.log(`response ${phase} ${status} ${sent.get(id) ?? '-'} ${path}`);
  }
};

// 1. Load: the text, the decoded logo, the audio's metadata.
await page.goto(base + '/');
await page.waitForFunction(() => {
  const audio = document.querySelector('audio');
  return audio && audio.readyState >= 1 && audio.duration > 0;
}, null, { timeout: 10000 });
await settle();
check('text', await page.innerText('body'));
check('logo-width', await page.evaluate(() => document.querySelector('img').naturalWidth));
check('audio-duration', await page.evaluate(() => document.querySelector('audio').duration));
// The page and its text came compressed, and were shown as above.
check('page-encoding', encodings.get('load /'));
await page.screenshot({ path: screenshot, fullPage: true });

// 2. Reload in the same profile: the browser revalidates what it cached.
phase = 'reload';
await page.reload();
await page.waitForFunction(() => document.querySelector('img').complete);
await settle();
check('reload-logo-width', await page.evaluate(() => document.querySelector('img').naturalWidth));

// 3. A missing path.
phase = 'missing';
const missing = await page.goto(base + '/no-such-page.html');
await settle();
check('missing-status', missing.status());
check('missing-text', await page.innerText('body'));

await context.close();
