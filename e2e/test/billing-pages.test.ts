// The Billing page end to end (fake Stripe API): Debian's Chromium driven by playwright-core against
// the real system (PostgreSQL, supervisor, gateway serving the SaaS build) with the gateway's
// STRIPE_API_URL pointed at the fake Stripe API on loopback (the only double besides the WhatsApp
// simulator). A new account has no plan (the Link screen says so, the Billing page offers to
// subscribe) → Subscribe goes to (fake) Stripe Checkout → the customer pays, Stripe's signed webhook
// events arrive → active with its renewal date → a renewal payment fails → past due with the grace
// date and the banner. Screenshots: screenshots/e2e/billing-none.png, billing-active.png,
// billing-past-due.png (ignored by git).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { type Browser, type Page } from 'playwright-core';
import { FakeStripe, FAKE_PRICE_ID, FAKE_STRIPE_KEY, FAKE_WEBHOOK_SECRET, type FakeEvent } from '../../test-support/fake-stripe.ts';
import { assertChromium, checkA11y, ROOT, startSystem, stepSequence, launchBrowser } from './system.ts';

t.setTimeout(600_000);
assertChromium(); // fails loudly (never skips) when Chromium is missing

const SHOTS = path.join(ROOT, 'screenshots', 'e2e');
fs.mkdirSync(SHOTS, { recursive: true });

const fake = new FakeStripe();
await fake.start();
t.teardown(() => fake.stop());

const sys = await startSystem(t, 'e2e-billing-pages', {
  gatewayEnv: {
    STRIPE_SECRET_KEY: FAKE_STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: FAKE_WEBHOOK_SECRET,
    STRIPE_PRICE_ID: FAKE_PRICE_ID,
    STRIPE_API_URL: fake.url,
    BILLING_TRIAL_DAYS: '0',
    BILLING_GRACE_DAYS: '7',
  },
});
const webhookUrl = `http://127.0.0.1:${new URL(sys.origin).port}/api/billing/webhook`;

const browser: Browser = await launchBrowser();
t.teardown(() => browser.close());
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
t.teardown(() => context.close().catch(() => {}));
context.setDefaultTimeout(60_000);
const page: Page = await context.newPage();
const consoleErrors: string[] = [];
page.on('pageerror', (e) => consoleErrors.push(e.message));

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, name), fullPage: false });
const email = `billing-${crypto.randomUUID().slice(0, 8)}@shop.example`;
const password = 'correct horse battery staple';
let subscriptionId = '';

async function deliver(events: FakeEvent[]): Promise<void> {
  for (const e of events) {
    const r = await fake.deliver(webhookUrl, e);
    if (r.status !== 200) throw new Error(`webhook ${e.type}: ${r.status} ${await r.text()}`);
  }
}

const utcDay = (seconds: number) => new Date(seconds * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

const step = stepSequence(t, shot, 'billing-');

step('a new account has no plan: the Link screen explains, the Billing page offers to subscribe (fake Stripe API)', async (t) => {
  await page.goto(`${sys.origin}/register`);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.getByTestId('auth-submit').click();
  await page.waitForURL(/\/link$/);
  const required = page.getByTestId('plan-required');
  await required.waitFor();
  t.match(await required.innerText(), /does not include a WhatsApp session yet/, 'the Link screen says the plan does not allow a slice');
  t.equal(await page.getByTestId('connect').count(), 0, 'no connect button');
  t.ok(await page.getByTestId('nav-billing').isVisible(), 'billing is on: Billing is in the navigation');
  await checkA11y(t, page, 'link (plan required)');
  await page.getByTestId('go-subscribe').click();
  await page.waitForURL(/\/billing$/);
  const status = page.getByTestId('billing-status');
  await status.waitFor();
  t.equal(await status.getAttribute('data-status'), 'none');
  t.equal((await status.innerText()).trim(), 'No plan');
  t.match(await page.getByTestId('billing-detail').innerText(), /Choose a plan to connect your WhatsApp/);
  t.ok(await page.getByTestId('subscribe').isVisible(), 'a Subscribe button');
  t.equal(await page.getByTestId('manage-billing').count(), 0, 'nothing to manage yet');
  await checkA11y(t, page, 'billing (no plan)');
  await shot('billing-none.png');
});

step('subscribe: to (fake) Stripe Checkout, the customer pays, the webhook lands → active with the next renewal (fake Stripe API)', async (t) => {
  await page.getByTestId('subscribe').click();
  await page.waitForURL(new RegExp(`^${fake.url}/c/pay/cs_test_`));
  await page.getByTestId('fake-stripe').waitFor();
  const sessionId = new URL(page.url()).pathname.split('/').pop()!;
  const session = fake.checkoutSessions.get(sessionId)!;
  t.match(session, { mode: 'subscription', success_url: `${sys.origin}/billing?checkout=success`, cancel_url: `${sys.origin}/billing?checkout=canceled` });
  const done = fake.completeCheckout(sessionId, { status: 'active', periodDays: 30 });
  subscriptionId = done.subscription.id;
  await page.goto(String(session.success_url)); // Stripe sends the browser back
  const notice = page.getByTestId('billing-notice');
  await notice.waitFor();
  t.match(await notice.innerText(), /Thank you/);
  await deliver(done.events); // the webhook may land after the browser is back: the page waits for it
  const status = page.getByTestId('billing-status');
  await page.waitForFunction(() => document.querySelector('[data-testid="billing-status"]')?.getAttribute('data-status') === 'active', null, { timeout: 30_000 });
  t.equal((await status.innerText()).trim(), 'Active');
  const renewal = utcDay(done.subscription.items.data[0]!.current_period_end);
  t.equal((await page.getByTestId('billing-renewal').innerText()).trim(), renewal, `next renewal ${renewal}`);
  t.ok(await page.getByTestId('manage-billing').isVisible(), 'Manage billing');
  t.equal(await page.getByTestId('subscribe').count(), 0, 'no second subscription offered');
  t.equal(await page.getByTestId('billing-banner').count(), 0, 'no banner');
  await page.goto(`${sys.origin}/billing`); // without the ?checkout notice, for the picture
  await page.getByTestId('billing-renewal').waitFor();
  await checkA11y(t, page, 'billing (active)');
  await shot('billing-active.png');
});

step('a renewal payment fails → past due: the grace date, Update payment method, and the banner elsewhere (fake Stripe API)', async (t) => {
  await deliver(fake.failPayment(subscriptionId));
  await page.goto(`${sys.origin}/billing`);
  await page.waitForFunction(() => document.querySelector('[data-testid="billing-status"]')?.getAttribute('data-status') === 'past_due', null, { timeout: 30_000 });
  t.equal((await page.getByTestId('billing-status').innerText()).trim(), 'Payment failed');
  const grace = (await page.getByTestId('billing-grace').innerText()).trim();
  const expected = utcDay(Math.floor(Date.now() / 1000) + 7 * 86_400);
  t.equal(grace, expected, `the grace period ends seven days after the failure (${expected})`);
  t.match(await page.getByTestId('billing-detail').innerText(), new RegExp(`Update your payment method before ${grace}`));
  t.equal((await page.getByTestId('manage-billing').innerText()).trim(), 'Update payment method');
  await checkA11y(t, page, 'billing (past due)');
  await shot('billing-past-due.png');
  await page.getByTestId('nav-settings').click();
  const banner = page.getByTestId('billing-banner');
  await banner.waitFor();
  t.match(await banner.innerText(), /Payment failed: update your payment method before/, 'the banner on the other screens');
  await banner.getByRole('link').click();
  await page.waitForURL(/\/billing$/);
  await page.getByTestId('manage-billing').click();
  await page.waitForURL(new RegExp(`^${fake.url}/p/session/bps_`));
  t.match(await page.getByTestId('fake-stripe').innerText(), /Customer Portal/, 'the portal opens');
  t.same(consoleErrors, [], 'no script errors in the page');
});
