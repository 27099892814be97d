// The end-to-end walkthrough in real headless Chromium against the whole stack that
// `make run` starts (Envoy on :8080 in front of the storefront and the four services):
// an admin page sends someone not signed in as admin to the admin sign-in, where the admin
// pastes the token an operator issued; the admin opens a store with a product, a shopper
// registers (which signs them in), buys it, sees the order accepted without reloading, pays
// it, orders more than the stock and sees the rejection, and the admin finds the order's
// events. Each page is saved as a screenshot in test-output/e2e/.
//
// Usage: PLAZA_ADMIN_TOKEN=<token> node e2e/walkthrough.mjs   (deploy/local/e2e.sh issues the
// token; PLAZA_UI_URL, PLAZA_CHROMIUM and PLAZA_E2E_OUTPUT override the gateway, the browser
// and the screenshot folder.)
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const BASE = process.env.PLAZA_UI_URL ?? 'http://127.0.0.1:8080';
const CHROMIUM = process.env.PLAZA_CHROMIUM ?? '/usr/bin/chromium';
const ADMIN_TOKEN = process.env.PLAZA_ADMIN_TOKEN ?? '';
const OUTPUT =
  process.env.PLAZA_E2E_OUTPUT ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'test-output', 'e2e');
/** How long the saga may take to answer (it takes milliseconds with the demo delays off). */
const SAGA_DEADLINE_MS = 30_000;
const STEP_DEADLINE_MS = 10_000;

const run = Date.now().toString(36);
const storeName = `E2E Store ${run}`;
const productName = `E2E Lamp ${run}`;
const customerName = `E2E Shopper ${run}`;
const phone = `+47 ${String(Date.now()).slice(-8)}`;
const STOCK = 3;

const shots = [];
const problems = [];

function fail(message) {
  throw new Error(message);
}

async function shot(page, name, shows) {
  const file = `${String(shots.length + 1).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: join(OUTPUT, file), fullPage: true, animations: 'disabled' });
  shots.push({ file, shows });
  console.log(`  screenshot ${file}: ${shows}`);
}

async function step(title, body) {
  const started = Date.now();
  await body();
  console.log(`ok   ${title} (${Date.now() - started} ms)`);
}

/** Waits until `locator` has exactly `text` (trimmed), or fails naming what it saw. */
async function expectText(locator, text, timeout = STEP_DEADLINE_MS) {
  const deadline = Date.now() + timeout;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (
      (await locator
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => null)) ?? ''
    ).trim();
    if (seen === text) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fail(`expected "${text}", saw "${seen}"`);
}

/** Types into a PrimeVue InputNumber the way a person does (it formats as you type). */
async function typeNumber(page, selector, value) {
  const input = page.locator(selector);
  await input.click();
  await input.press('ControlOrMeta+a');
  await input.press('Backspace');
  await input.pressSequentially(String(value));
  await input.blur();
}

async function main() {
  if (!ADMIN_TOKEN) fail('PLAZA_ADMIN_TOKEN is not set: deploy/local/e2e.sh sets it to a fresh admin token');
  await rm(OUTPUT, { recursive: true, force: true });
  await mkdir(OUTPUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-IE' });
    context.setDefaultTimeout(STEP_DEADLINE_MS);
    const page = await context.newPage();
    // An exception in the page or a server error behind the UI fails the walkthrough.
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 500) problems.push(`HTTP ${response.status()} from ${response.url()}`);
    });

    try {
      await walkthrough(page);
    } catch (error) {
      await page.screenshot({ path: join(OUTPUT, 'failure.png'), fullPage: true }).catch(() => {});
      throw error;
    }
  } finally {
    await browser.close();
    const list = shots.map(({ file, shows }) => `- \`${file}\`: ${shows}`).join('\n');
    await writeFile(join(OUTPUT, 'README.md'), `# Screenshots of the e2e walkthrough (run ${run})\n\n${list}\n`);
  }
  if (problems.length) fail(`the pages had problems:\n  ${problems.join('\n  ')}`);
}

async function walkthrough(page) {
  let orderId = '';

  await step('the overview page opens', async () => {
    await page.goto(`${BASE}/`);
    await page.getByRole('heading', { name: 'Plaza' }).waitFor();
    await shot(page, 'overview', 'the overview page with the menu');
  });

  await step('signed out of admin, the menu hides the admin pages and one opens the admin sign-in', async () => {
    const menu = page.getByRole('navigation', { name: 'Main' });
    await menu.getByRole('link', { name: 'Admin sign-in' }).waitFor();
    if ((await menu.getByRole('link', { name: 'Plaza Admin' }).count()) > 0) fail('the menu shows Plaza Admin');
    await page.goto(`${BASE}/admin/stores`);
    await page.waitForURL(
      (url) => url.pathname === '/admin/sign-in' && url.searchParams.get('redirect') === '/admin/stores',
    );
    await page.locator('[data-test="admin-required"]').waitFor();
    await shot(page, 'admin-sign-in', 'Admin sign-in: opened instead of Plaza Admin, asking for an admin token');
  });

  await step('the admin pastes the operator-issued token and is back on Plaza Admin', async () => {
    await page.locator('[data-test="admin-token"]').fill(ADMIN_TOKEN);
    await page.locator('[data-test="admin-sign-in"]').click();
    await page.waitForURL(/\/admin\/stores$/);
    await page.getByRole('heading', { name: 'Plaza Admin' }).waitFor();
    await expectContains(page.locator('[data-test="menu-admin"]'), 'Admin: ');
  });

  await step('a shop admin creates a store and lets it take part in the shop', async () => {
    await openFromMenu(page, 'Plaza Admin');
    await page.locator('[data-test="new-store"]').click();
    await page.locator('#store-name').fill(storeName);
    await page.locator('#store-location').fill('Bergen');
    await page.locator('[data-test="save-store"]').click();
    await page.locator('[data-test="store-search"]').fill(run);
    const row = page.locator('tr', { hasText: storeName });
    await row.waitFor();
    await row.locator('[data-test="participation"]').click();
    await expectChecked(row.locator('[data-test="participation"] input'));
    await shot(page, 'plaza-admin', 'Plaza Admin: the new store, found by search, taking part in the shop');
  });

  await step('the admin adds a product, and the store name survives a reload', async () => {
    await page.locator('tr', { hasText: storeName }).locator('[data-test="products"]').click();
    await page.waitForURL(/\/admin\/stores\/[0-9a-f-]{36}\/products$/);
    await expectContains(page.locator('[data-test="store-name"]'), storeName);
    await page.reload();
    await expectContains(page.locator('[data-test="store-name"]'), storeName);
    await page.locator('[data-test="new-product"]').click();
    await page.locator('#product-name').fill(productName);
    await page.locator('#product-description').fill('A reading lamp, warm light');
    await typeNumber(page, '#product-price', '4.50');
    await typeNumber(page, '#product-stock', STOCK);
    await page.locator('[data-test="save-product"]').click();
    const row = page.locator('tr', { hasText: productName });
    await row.waitFor();
    await expectContains(row, '€4.50');
    await shot(
      page,
      'store-products',
      "the store's products page after a reload, with the new product at €4.50, stock 3",
    );
  });

  await step('a shopper finds the product in the catalog and fills the basket', async () => {
    await openFromMenu(page, 'Shopping');
    await page.locator('[data-test="catalog-search"]').fill(run);
    const row = page.locator('tr', { hasText: productName });
    await row.waitFor();
    await expectContains(row, storeName);
    await row.locator('[data-test="add-to-basket"]').click();
    await expectText(page.locator('[data-test="basket-count"]'), '1');
    await page.reload();
    await expectText(page.locator('[data-test="basket-count"]'), '1');
    await page.locator('[data-test="open-basket"]').click();
    await page.locator('[data-test="basket-dialog"]').getByText(productName).waitFor();
    await shot(page, 'shopping-basket', 'Shopping: the basket dialog after a page reload, still holding the lamp');
    await page.keyboard.press('Escape');
  });

  await step('at checkout, a wrong phone number is explained next to the field', async () => {
    await page.goto(`${BASE}/checkout`);
    await page.locator('#customer-name').fill(customerName);
    await page.locator('#customer-phone').fill('call me');
    await page.locator('[data-test="register"]').click();
    await page.locator('[data-test="register-form"] [role="alert"]', { hasText: /phone|digit/i }).waitFor();
    await shot(
      page,
      'checkout-field-error',
      "Checkout: the API's complaint about the phone number, under the phone field",
    );
  });

  await step('the shopper registers (and is signed in), authorizes a payment and orders 2', async () => {
    await page.locator('#customer-phone').fill(phone);
    await page.locator('[data-test="register"]').click();
    await expectText(page.locator('[data-test="customer-name"]'), customerName);
    await page.locator('[data-test="customer-session-until"]').waitFor();
    await typeNumber(page, '#quantity-0', 2);
    await expectText(page.locator('[data-test="basket-total"]'), '€9.00');
    await expectValue(page.locator('#payment-amount'), '€9.00');
    await page.locator('[data-test="authorize"]').click();
    await expectContains(page.locator('[data-test="payment"]'), '€9.00');
    await shot(page, 'checkout', 'Checkout: registered, €9.00 authorized (suggested from the basket), 2 lamps');
    await page.locator('[data-test="place-order"]').click();
    await page.waitForURL(/\/orders\?placed=/);
    orderId = new URL(page.url()).searchParams.get('placed') ?? fail('no order id in the address');
  });

  await step('the order reaches ACCEPTED without a reload, then is paid and DELIVERED', async () => {
    const row = page.locator('tr', { has: page.locator(`code:text-is("${orderId}")`) });
    await expectText(row.locator('[data-test="order-status"]'), 'Accepted', SAGA_DEADLINE_MS);
    await shot(
      page,
      'your-orders-accepted',
      'Your orders: the order ACCEPTED (payment confirmed, stock reserved), no reload',
    );
    await row.locator('[data-test="pay-order"]').click();
    await expectText(row.locator('[data-test="order-status"]'), 'Delivered');
    await expectText(row.locator('[data-test="payment-status"]'), 'Captured');
    await shot(page, 'your-orders-delivered', 'Your orders: the order paid: DELIVERED, payment captured');
  });

  await step('the basket was emptied once the order was taken', async () => {
    await expectText(page.locator('[data-test="basket-link"]'), '');
  });

  await step('an order for more than the stock is rejected, and the reason is shown', async () => {
    await openFromMenu(page, 'Shopping');
    await page.locator('[data-test="catalog-search"]').fill(run);
    const row = page.locator('tr', { hasText: productName });
    // Three made, two sold: one left.
    await expectContains(row, String(STOCK - 2));
    await row.locator('[data-test="add-to-basket"]').click();
    await page.goto(`${BASE}/checkout`);
    await typeNumber(page, '#quantity-0', 5);
    await typeNumber(page, '#payment-amount', '22.50');
    await page.locator('[data-test="authorize"]').click();
    await expectContains(page.locator('[data-test="payment"]'), '€22.50');
    await page.locator('[data-test="place-order"]').click();
    await page.waitForURL(/\/orders\?placed=/);
    const rejectedId = new URL(page.url()).searchParams.get('placed') ?? fail('no order id in the address');
    const rejected = page.locator('tr', { has: page.locator(`code:text-is("${rejectedId}")`) });
    await expectText(rejected.locator('[data-test="order-status"]'), 'Rejected', SAGA_DEADLINE_MS);
    await expectText(rejected.locator('[data-test="stock-status"]'), 'Out of stock');
    await page.locator('[data-test="reject-reason"]').waitFor();
    await expectDisabled(rejected.locator('[data-test="pay-order"]'));
    await expectDisabled(rejected.locator('[data-test="cancel-order"]'));
    await shot(
      page,
      'your-orders-rejected',
      'Your orders: 5 lamps with 1 in stock: REJECTED, out of stock, with the reason',
    );
  });

  await step('Order Admin shows the order, and its events in the event-sourcing view', async () => {
    await openFromMenu(page, 'Order Admin');
    await page.locator('tr', { hasText: orderId }).waitFor();
    await shot(page, 'order-admin', 'Order Admin: the latest state of every order');
    await page.getByRole('tab', { name: 'Events' }).click();
    await page.locator('#event-order-id').fill(orderId);
    await page.locator('[data-test="event-search"]').click();
    // The log now shows this order's events only (the list before the search held others).
    await expectContains(page.locator('[data-test="event-scope"]'), orderId);
    for (const type of ['OrderCreated', 'OrderAccepted', 'OrderDelivered']) {
      await page
        .locator('tr', { hasText: orderId })
        .locator('[data-test="event-type"]', { hasText: new RegExp(`^${type}$`) })
        .waitFor();
    }
    await expectOnlyOrder(page.locator('[data-test="event-order"]'), orderId);
    await shot(page, 'order-admin-events', 'Order Admin, Events: the timeline of the delivered order, found by its id');
  });

  await step('the customers admin lists the new customer', async () => {
    await openFromMenu(page, 'Customers');
    await page.locator('[data-test="customer-search"]').fill(run);
    await page.locator('tr', { hasText: customerName }).waitFor();
    await shot(page, 'customers', 'Customers: the shopper who registered');
  });
}

/** Follows a link of the sidebar menu, as a person finds a page. */
async function openFromMenu(page, name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: false }).click();
}

async function expectContains(locator, text) {
  const deadline = Date.now() + STEP_DEADLINE_MS;
  let seen = '';
  while (Date.now() < deadline) {
    seen =
      (await locator
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => '')) ?? '';
    if (seen.includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fail(`expected text containing "${text}", saw "${seen.trim()}"`);
}

/** Waits until every element of `locator` (there is at least one) reads `orderId`. */
async function expectOnlyOrder(locator, orderId) {
  const deadline = Date.now() + STEP_DEADLINE_MS;
  let seen = [];
  while (Date.now() < deadline) {
    seen = (await locator.allTextContents()).map((text) => text.trim());
    if (seen.length > 0 && seen.every((text) => text === orderId)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fail(`expected only events of ${orderId}, saw ${[...new Set(seen)].join(', ')}`);
}

async function expectValue(locator, value) {
  const deadline = Date.now() + STEP_DEADLINE_MS;
  let seen = '';
  while (Date.now() < deadline) {
    seen = await locator.inputValue().catch(() => '');
    if (seen === value) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fail(`expected the field to hold "${value}", it holds "${seen}"`);
}

async function expectChecked(locator) {
  const deadline = Date.now() + STEP_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (await locator.isChecked().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fail('expected the switch to be on');
}

async function expectDisabled(locator) {
  if (!(await locator.isDisabled())) fail('expected the button to be disabled');
}

try {
  await main();
  console.log(`\nthe walkthrough passed; ${shots.length} screenshots in ${OUTPUT}`);
} catch (error) {
  console.error(`\nthe walkthrough FAILED: ${error instanceof Error ? error.message : error}`);
  console.error(`screenshots so far, and failure.png if the page could be saved, are in ${OUTPUT}`);
  process.exitCode = 1;
}
