// Drives Debian's headless Chromium for tests/browser.rs through the
// inspector (live) and then the report (offline). Prints one line per fact:
// "check NAME VALUE", VALUE as JSON.
//
// Usage: node inspector.mjs live INSPECTOR_URL SITE_URL PROFILE_DIR SCREENSHOT_PNG
//        node inspector.mjs report REPORT_FILE PROFILE_DIR SCREENSHOT_PNG
import { check, launch } from './launch.mjs';

const [mode, ...args] = process.argv.slice(2);
const profile = mode === 'live' ? args[2] : args[1];
const screenshot = mode === 'live' ? args[3] : args[2];
const context = await launch(profile, {
  // The live page is read in English; the report in Chinese, the browser's
  // language choosing the labels.
  locale: mode === 'live' ? 'en-US' : 'zh-CN',
  viewport: { width: 1200, height: 900 },
});
const statuses = (page) => page.$$eval('g.exchange', (groups) => groups.map((g) => g.dataset.status));
const decisions = (page) => page.$$eval('text.decision', (lines) => lines.map((t) => t.textContent));
// Each TCP segment drawn: its kind, who sent it (for FINs), whether the
// server saw it or only the kernel, whether its line is dashed, its label.
const segments = (page) => page.$$eval('g.segment', (groups) => groups.map((g) => ({
  kind: g.dataset.kind,
  by: g.dataset.by || null,
  seen: g.dataset.seen,
  dashed: getComputedStyle(g.querySelector('line')).strokeDasharray !== 'none',
  text: g.querySelector('text').textContent,
})));
// Every label inside its drawing and clear of every other: a list of what
// is not, each with its text.
const layout = (page) => page.$$eval('svg', (svgs) => {
  const problems = [];
  for (const svg of svgs) {
    const frame = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll('text')]
      .map((t) => ({ text: t.textContent, box: t.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0);
    for (const { text, box } of boxes) {
      if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) problems.push(`outside: ${text}`);
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i].box, boxes[j].box];
        const across = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const down = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (across > 1 && down > 1) problems.push(`overlap: ${boxes[i].text} | ${boxes[j].text}`);
      }
    }
  }
  return problems;
});
const notes = (page) => page.$$eval('text.kernel-note, text.time-wait', (t) => t.map((n) => n.textContent));
const waitForStatus = (page, status) => page.waitForFunction(
  (wanted) => [...document.querySelectorAll('g.exchange')].some((g) => g.dataset.status === wanted),
  status, { timeout: 10000 });
// A status seen already (the favicon's 404) says nothing of a later
// exchange: this waits for that exchange's own decision.
const waitForDecision = (page, text) => page.waitForFunction(
  (wanted) => [...document.querySelectorAll('text.decision')].some((t) => t.textContent.includes(wanted)),
  text, { timeout: 10000 });

if (mode === 'live') {
  const [inspectorUrl, site] = args;
  const inspector = context.pages()[0] ?? (await context.newPage());
  await inspector.goto(inspectorUrl);
  await inspector.waitForSelector('#empty');
  check('empty-at-first', await inspector.$$eval('g.exchange', (g) => g.length));
  const lab = await context.newPage();
  await lab.goto(site + '/');
  await lab.waitForFunction(() => {
    const audio = document.querySelector('audio');
    return audio && audio.readyState >= 1;
  }, null, { timeout: 10000 });
  await waitForStatus(inspector, '206');
  check('after-load', await statuses(inspector));
  await lab.reload();
  await waitForStatus(inspector, '304');
  check('after-reload', await statuses(inspector));
  await lab.goto(site + '/no-such-page.html');
  await waitForDecision(inspector, 'GET /no-such-page.html');
  check('after-404', await statuses(inspector));
  check('decisions', await decisions(inspector));
  check('segments', await segments(inspector));
  check('notes', await notes(inspector));
  await inspector.bringToFront();
  await inspector.screenshot({ path: screenshot, fullPage: false });
  // Both heads of the first exchange, as sent, with their line ends shown.
  await inspector.locator('g.exchange', { hasText: 'GET / HTTP/1.1' }).first().click();
  check('details', await inspector.innerText('#details'));
  check('layout', await layout(inspector));
  await inspector.click('#language');
  check('title-zh', await inspector.innerText('h1'));
  check('layout-zh', await layout(inspector));
  check('decisions-zh', await decisions(inspector));
  check('connections', await inspector.$$eval('section.connection', (s) => s.length));
} else {
  const [file] = args;
  await context.setOffline(true);
  const report = context.pages()[0] ?? (await context.newPage());
  await report.goto('file://' + file);
  await report.waitForSelector('section.connection');
  check('statuses', await statuses(report));
  check('connections', await report.$$eval('section.connection', (s) => s.length));
  check('mode', await report.innerText('#mode'));
  check('title', await report.innerText('h1'));
  check('decisions', await decisions(report));
  check('segments', await segments(report));
  check('notes', await notes(report));
  check('closed', await report.$$eval('text.closed-why', (t) => t.map((n) => n.textContent)));
  check('layout', await layout(report));
  check('summary', await report.innerText('#summary'));
  await report.fill('#filter', '404');
  check('filtered-404', await report.$$eval('section.connection', (s) => s.filter((x) => !x.hidden).length));
  await report.fill('#filter', '/no-such-path-in-the-lab');
  check('filtered-nothing', await report.$$eval('section.connection', (s) => s.filter((x) => !x.hidden).length));
  await report.fill('#filter', '');
  check('filtered-none', await report.$$eval('section.connection', (s) => s.filter((x) => !x.hidden).length));
  check('unseen', await report.$$eval('g.segment[data-kind="fin-unseen"]', (g) => g.length));
  // HTTPS: each TLS message drawn, in order, and the handshake's note.
  check('tls', await report.$$eval('g.tls', (groups) => groups.map((g) => ({
    kind: g.dataset.kind, name: g.dataset.name || null, by: g.dataset.by,
    encrypted: g.dataset.encrypted === 'true' || g.dataset.kind === 'close_notify',
    text: g.querySelector('text').textContent,
  }))));
  check('tls-notes', await report.$$eval('text.tls-note', (t) => t.map((n) => n.textContent)));
  await report.screenshot({ path: screenshot, fullPage: false });
}
await context.close();
