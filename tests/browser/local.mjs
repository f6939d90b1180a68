// Drives Debian's headless Chromium through what a local static server's
// users do in a browser: a page of one origin fetching from another
// (--cors), a client-side route (--spa), a listing's sort links, a page
// that reloads itself when a file changes (--watch). Prints "check NAME
// VALUE" lines for tests/it/browser.rs.
//
// Usage: node local.mjs cors URL PROFILE
//        node local.mjs spa URL PROFILE
//        node local.mjs sort URL PROFILE
//        node local.mjs watch URL PROFILE FILE_TO_CHANGE
import { writeFileSync } from 'node:fs';
import { check, launch } from './launch.mjs';

const [mode, url, profile, file] = process.argv.slice(2);
const context = await launch(profile);
const page = context.pages()[0] ?? (await context.newPage());
const requests = [];
page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));

if (mode === 'cors') {
  // The page's own script fetches from the other origin and writes what it
  // got (or the error) into its title.
  await page.goto(url);
  await page.waitForFunction(() => document.title.startsWith('done:'), null, { timeout: 10000 });
  check('title', await page.title());
} else if (mode === 'spa') {
  const answer = await page.goto(url);
  check('status', answer.status());
  check('text', await page.innerText('body'));
  const asset = await page.evaluate(async (u) => (await fetch(u)).status, new URL('/app.js', url).href);
  check('asset', asset);
} else if (mode === 'sort') {
  await page.goto(url);
  const names = () => page.$$eval('td a', (a) => a.map((n) => n.textContent));
  check('default', await names());
  await Promise.all([page.waitForNavigation(), page.click('a[href="?sort=size&order=desc"]')]);
  check('size-desc', await names());
  check('url', page.url());
  await Promise.all([page.waitForNavigation(), page.click('a[href="?sort=name&order=asc"]')]);
  check('name-asc', await names());
} else if (mode === 'watch') {
  await page.goto(url);
  check('before', await page.innerText('body'));
  // The page is listening once its event stream is open.
  await page.waitForFunction(() => window.glasshttpReload && window.glasshttpReload.readyState === 1,
    null, { timeout: 10000 });
  const reloaded = page.waitForEvent('load', { timeout: 15000 });
  writeFileSync(file, '<!DOCTYPE html><html><body><p>after the change</p></body></html>\n');
  await reloaded;
  check('after', await page.innerText('body'));
}
check('requests', requests);
await context.close();
