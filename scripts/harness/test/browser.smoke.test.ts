import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from '../src/browser.js';
import { artifactsDir } from '../src/env.js';

const page = `<!doctype html><html><head><title>smoke</title></head><body>
<button id="go">count</button><output id="n">0</output>
<script>document.getElementById('go').onclick = () => { const n = document.getElementById('n'); n.textContent = String(Number(n.textContent) + 1); };</script>
</body></html>`;

describe('playwright-core drives Debian Chromium', () => {
  let server: Server;
  before(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => server.close());

  it('loads a loopback page, runs its script, and saves a screenshot', async () => {
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      assert.equal(await tab.title(), 'smoke');
      await tab.click('#go');
      await tab.click('#go');
      assert.equal(await tab.textContent('#n'), '2');
      const file = join(artifactsDir('smoke'), 'browser.png');
      await tab.screenshot({ path: file });
      assert.deepEqual([...readFileSync(file).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    } finally {
      await browser.close();
    }
  });
});
