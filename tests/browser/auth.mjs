// Drives Debian's headless Chromium to a page that --auth guards, once with
// credentials supplied as a person types them into the browser's prompt
// (playwright's httpCredentials answer the 401's challenge) and once
// without. Prints "check NAME VALUE" lines for tests/it/browser.rs.
//
// Usage: node auth.mjs URL USER PASSWORD PROFILE_WITH PROFILE_WITHOUT
import { check, launch } from './launch.mjs';

const [url, username, password, withProfile, withoutProfile] = process.argv.slice(2);

const granted = await launch(withProfile, { httpCredentials: { username, password } });
const page = granted.pages()[0] ?? (await granted.newPage());
const answer = await page.goto(url);
check('with-status', answer.status());
check('with-text', await page.innerText('body'));
await granted.close();

// Without credentials, headless Chromium has no prompt to show: it cancels
// the navigation. The 401 and its challenge still arrive, seen here.
const refused = await launch(withoutProfile);
const other = refused.pages()[0] ?? (await refused.newPage());
const seen = [];
other.on('response', (response) => seen.push(response));
let navigation = 'loaded';
try {
  await other.goto(url);
} catch (error) {
  navigation = String(error.message).split('\n')[0];
}
const first = seen.find((response) => response.url() === url);
check('without-status', first ? first.status() : null);
check('without-challenge', first ? first.headers()['www-authenticate'] : null);
check('without-navigation', navigation);
await refused.close();
