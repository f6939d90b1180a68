// Drives Debian's headless Chromium through the TCP lab's upload: open the
// form at --sink, choose a file, submit, read the answer page. Prints
// "check NAME VALUE" lines for tests/it/browser.rs.
//
// Usage: node upload.mjs FORM_URL FILE PROFILE_DIR
import { check, launch } from './launch.mjs';

const [url, file, profile] = process.argv.slice(2);
const context = await launch(profile);
const page = context.pages()[0] ?? (await context.newPage());
await page.goto(url);
check('form-title', await page.innerText('h1'));
await page.setInputFiles('input[type=file]', file);
const [answer] = await Promise.all([
  page.waitForNavigation(),
  page.click('button[type=submit]'),
]);
check('status', answer.status());
check('title', await page.innerText('h1'));
check('received', await page.innerText('#received'));
check('parts', await page.innerText('#parts'));
await context.close();
