// Drives Debian's headless Chromium through --upload's form under a
// listing: choose two files, submit, watch the progress bar fill, and read
// the listing the page reloads to. Prints "check NAME VALUE" lines for
// tests/it/browser.rs.
//
// Also saves a screenshot of the listing's QR code (--qr) to QR_PNG, and
// the folder's .zip, downloaded through the listing's link, to ZIP.
//
// Usage: node store.mjs LISTING_URL FILE FILE PROFILE_DIR QR_PNG ZIP
import { check, launch } from './launch.mjs';

const [url, first, second, profile, qr, zip] = process.argv.slice(2);
const context = await launch(profile);
const page = context.pages()[0] ?? (await context.newPage());
await page.goto(url);
await page.locator('#qr svg').screenshot({ path: qr });
check('qr-caption', await page.innerText('#qr figcaption'));
check('progress-hidden', await page.isHidden('#progress'));
// What the bar showed last, kept across the reload.
await page.evaluate(() => {
  const bar = document.getElementById('progress');
  new MutationObserver(() => sessionStorage.setItem('progress', `${bar.value}/${bar.max}`))
    .observe(bar, { attributes: true });
});
await page.setInputFiles('#upload input[type=file]', [first, second]);
await Promise.all([
  page.waitForNavigation(),
  page.click('#upload button[type=submit]'),
]);
check('progress', await page.evaluate(() => sessionStorage.getItem('progress')));
check('names', await page.$$eval('table td a', (links) => links.map((a) => a.textContent)));
check('form-again', await page.isVisible('#upload'));
const [download] = await Promise.all([page.waitForEvent('download'), page.click('#zip')]);
await download.saveAs(zip);
check('zip-name', download.suggestedFilename());
await context.close();
