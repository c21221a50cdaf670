// Errors no one awaited that reach the slice's process handlers (main.ts). The browser stack
// (puppeteer, its stealth plugin, whatsapp-web.js) starts promises of its own on page events that
// it never awaits: a page that closes while they run rejects them. Those are the browser's
// trouble, and a new browser (keeping the login) is the answer; anything else is a bug of ours
// and must end the process (restarted by the supervisor, loud in its log), not loop silently.

const BROWSER_STACK = /node_modules[\\/](puppeteer|puppeteer-core|puppeteer-extra|puppeteer-extra-plugin[^\\/]*|whatsapp-web\.js|chromium-bidi)[\\/]/;
const BROWSER_ERRORS = new Set(['TargetCloseError', 'ProtocolError', 'TimeoutError', 'ConnectionClosedError']);
// whatsapp-web.js throws bare strings from its inject loop.
const BROWSER_STRINGS = /^(auth timeout|Evaluation failed|Protocol error|Target closed|Session closed|Execution context was destroyed|Attempted to use detached Frame)/;

/** Whether an escaped error comes from the browser stack (see above). */
export function fromBrowserStack(err: unknown): boolean {
  if (typeof err === 'string') return BROWSER_STRINGS.test(err);
  if (!(err instanceof Error)) return false;
  if (BROWSER_ERRORS.has(err.name) || BROWSER_ERRORS.has(err.constructor?.name)) return true;
  return BROWSER_STACK.test(err.stack ?? '');
}

/** One line for the log and the status detail: the error's name and message, never its fields
 * (a CDP error can carry the page's arguments: message bodies, phone numbers). */
export function describeEscaped(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
