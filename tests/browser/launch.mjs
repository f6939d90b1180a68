// How every driver starts Debian's Chromium: headless, from /usr/bin (or
// $CHROMIUM), with a profile of its own, and with nothing reaching for the
// network on its own (this machine's network is closed, and the tests are
// about what glasshttp serves). `options` adds what a driver needs:
// a viewport, a locale, credentials. CHROMIUM_SPKI, when set, is the
// base64 SHA-256 of a certificate's public key that Chromium trusts in a
// chain, as if its CA were installed: glasshttp's local CA, for HTTPS.
import { chromium } from 'playwright-core';

const spki = process.env.CHROMIUM_SPKI;

export const launch = (profile, options = {}) => chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ...(spki ? [`--ignore-certificate-errors-spki-list=${spki}`] : []),
  ],
  ...options,
});

// One fact for tests/it/browser.rs: "check NAME VALUE", the value as JSON.
export const check = (name, value) => console.log(`check ${name} ${JSON.stringify(value)}`);
