import { chromium, type Browser } from 'playwright-core';
import { binaries } from './paths.js';

/**
 * Debian's Chromium, headless, driven by playwright-core. The flags keep it
 * from reaching for the network this machine does not have.
 */
export async function launchChromium(): Promise<Browser> {
  // playwright gives every launch a fresh, temporary profile directory.
  return chromium.launch({
    executablePath: binaries.chromium,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
