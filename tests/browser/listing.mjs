// Follows every entry's link of a directory listing in Debian's headless
// Chromium, for tests/browser.rs (the column headers' sort links are
// local.mjs's): for each one shown at LISTING_URL, click it and
// print "followed", TEXT, PATH, STATUS and the body's start, separated by
// tabs (the path as the browser requested it, decoded), then come back.
//
// Usage: node listing.mjs LISTING_URL PROFILE_DIR
import { launch } from './launch.mjs';

const [listing, profile] = process.argv.slice(2);
const context = await launch(profile);
const page = context.pages()[0] ?? (await context.newPage());
await page.goto(listing);
const texts = await page.$$eval('td a', (links) => links.map((link) => link.textContent));
for (const [index, text] of texts.entries()) {
  await page.goto(listing);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.locator('td a').nth(index).click(),
  ]);
  const path = decodeURIComponent(new URL(response.url()).pathname);
  const body = (await page.innerText('body')).slice(0, 40).replace(/\s+/g, ' ').trim();
  console.log(['followed', text, path, response.status(), body].join('\t'));
}
await context.close();
