import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen } from '@testing-library/react';
import { ApiError } from '../src/api/http.ts';
import { errorWords, fieldOf } from '../src/lib/error-words.ts';
import { AuthForm } from '../src/screens/auth.tsx';
import { ErrorState } from '../src/components/ui.tsx';
import { fakeFetch, renderWith } from './helpers.tsx';

afterEach(() => vi.unstubAllGlobals());

const err = (status: number, kind: string, code: string, message: string) => new ApiError(status, { kind, code, message });

/** What a person must never read: schema paths, routes, state names, lower-case starts. */
function assertPersonWords(text: string) {
  expect(text).not.toMatch(/\b(body|querystring|params)\//);
  expect(text).not.toMatch(/\b(GET|POST|PUT|PATCH|DELETE) \//);
  expect(text).not.toMatch(/\/api\//);
  expect(text).not.toMatch(/\b(STARTING|QR|AUTHENTICATING|DISCONNECTED|LOGGED_OUT|FAILED|RUNNING)\b/);
  expect(text).not.toMatch(/union value|must NOT|instancePath/);
  expect(text[0]).toBe(text[0]!.toUpperCase());
  expect(text.trim().endsWith('.')).toBe(true);
}

describe('error words: one mapping from codes to sentences', () => {
  const cases: Array<[ApiError, RegExp, string | undefined]> = [
    [err(409, 'AlreadyExists', 'EMAIL_TAKEN', 'an account with this email exists: sign in instead'), /^This email already has an account\.$/, '/login'],
    [err(401, 'Unauthenticated', 'BAD_CREDENTIALS', 'wrong email or password'), /email or the password is wrong/, undefined],
    [err(400, 'InvalidArgument', 'INVALID_ARGUMENT', 'body/email expected union value'), /valid email address/, undefined],
    [err(400, 'InvalidArgument', 'INVALID_ARGUMENT', 'invalid body: body/password must NOT have fewer than 10 characters'), /^Use at least 10 characters for the password\.$/, undefined],
    [err(400, 'InvalidArgument', 'INVALID_ARGUMENT', 'body/phoneNumber must match pattern "^\\+?[0-9]{7,15}$"'), /country code/, undefined],
    [err(400, 'InvalidArgument', 'INVALID_ARGUMENT', 'body/name expected string'), /^Check the name: it is not valid\.$/, undefined],
    [err(400, 'InvalidArgument', 'INVALID_ARGUMENT', "body must have required property 'name'"), /^Enter the name\.$/, undefined],
    [err(409, 'FailedPrecondition', 'SLICE_NOT_CONNECTED', 'WhatsApp is not connected (state STARTING): nothing was sent'), /WhatsApp is not connected/, '/link'],
    [err(409, 'FailedPrecondition', 'SLICE_NOT_CONNECTED', 'no WhatsApp workspace yet: connect first (POST /api/connect)'), /WhatsApp is not connected/, '/link'],
    [err(402, 'PaymentRequired', 'PLAN_REQUIRED', 'your plan does not allow a WhatsApp session: canceled'), /plan does not include/, '/billing'],
    [err(429, 'ResourceExhausted', 'RATE_LIMITED', 'too many connect requests: try again in 42 s'), /^Too many attempts\. Try again in 42 seconds\.$/, undefined],
    [err(403, 'PermissionDenied', 'CSRF_REJECTED', 'missing or wrong x-csrf-token header: send the csrfToken from GET /api/me'), /Reload the page/, undefined],
    [err(0, 'Unavailable', 'NETWORK', 'Cannot reach the server.'), /Check your internet connection/, undefined],
    [err(404, 'NotFound', 'NOT_FOUND', 'no route POST /api/nothing'), /no longer here/, undefined],
    [err(500, 'Internal', 'INTERNAL', 'internal error'), /on our side/, undefined],
    // A code this page does not know yet falls back to its kind, never to the raw message.
    [err(409, 'Conflict', 'SOME_FUTURE_CODE', 'stage 4 version 7 != 8'), /changed somewhere else/, undefined],
    [err(502, 'Internal', 'HTTP_502', 'Request failed (502)'), /on our side/, undefined],
    // Issue 18: keys and webhooks. The refused address is named; so is the scope a key lacks.
    [err(400, 'InvalidArgument', 'WEBHOOK_URL_REFUSED', 'url resolves to 169.254.169.254, a link-local address: webhooks go to public addresses only (or hosts in WEBHOOK_ALLOW_HOSTS)'), /^Queunir does not send webhooks to 169\.254\.169\.254: it is a link-local address\. /, undefined],
    [err(400, 'InvalidArgument', 'WEBHOOK_URL_REFUSED', 'url resolves to fe80::1, a link-local address: refused'), /webhooks to fe80::1: it is a link-local address/, undefined],
    [err(400, 'InvalidArgument', 'WEBHOOK_URL_REFUSED', 'url must not carry credentials (user:password@); authenticate the request by its Queunir-Signature'), /^Take the user name and password out of the URL/, undefined],
    [err(400, 'InvalidArgument', 'WEBHOOK_URL_REFUSED', 'url must be http: or https:, not ftp:'), /starts with https:\/\//, undefined],
    [err(400, 'InvalidArgument', 'WEBHOOK_URL_REFUSED', 'the host nowhere.example does not resolve (ENOTFOUND)'), /host name of this URL was not found/, undefined],
    [err(403, 'PermissionDenied', 'SCOPE_REQUIRED', 'POST /api/chats/:id/messages needs an API key with the send scope (this key has read, manage)'), /^This API key does not have the “send” scope this needs\./, undefined],
    [err(403, 'PermissionDenied', 'SCOPE_REQUIRED', 'not allowed'), /^This API key’s scopes do not allow this\./, undefined],
    [err(404, 'NotFound', 'API_KEY_NOT_FOUND', 'no API key 4'), /^This API key is no longer here/, undefined],
    [err(404, 'NotFound', 'WEBHOOK_NOT_FOUND', 'no webhook 9'), /^This webhook is no longer here/, undefined],
    [err(401, 'Unauthenticated', 'API_KEY_INVALID', 'invalid API key'), /mistyped or was revoked/, undefined],
    [new ApiError(429, { kind: 'ResourceExhausted', code: 'RATE_LIMITED', message: 'rate limit of this API key' }, 1), /^Too many attempts\. Try again in 1 second\.$/, undefined],
  ];
  it.each(cases)('%s', (e, words, to) => {
    const w = errorWords(e);
    expect(w.text).toMatch(words);
    assertPersonWords(w.text);
    expect(w.action?.to).toBe(to);
    if (w.action) expect(w.action.label[0]).toBe(w.action.label[0]!.toUpperCase());
  });

  it('anything that is not an API error still reads as a sentence', () => {
    assertPersonWords(errorWords(new TypeError("Cannot read properties of undefined (reading 'x')")).text);
    assertPersonWords(errorWords('boom').text);
  });

  it('finds the field a schema error names', () => {
    expect(fieldOf('invalid body: body/password must NOT have fewer than 10 characters')).toBe('password');
    expect(fieldOf('querystring/limit must be <= 100')).toBe('limit');
    expect(fieldOf("body must have required property 'email'")).toBe('email');
    expect(fieldOf('internal error')).toBeNull();
  });
});

describe('screens show errors through the mapping', () => {
  it('a schema error from the server appears beside its field as a sentence', async () => {
    fakeFetch(() => ({ status: 400, body: { error: { kind: 'InvalidArgument', code: 'INVALID_ARGUMENT', message: 'body/email expected union value' } } }));
    renderWith(<AuthForm mode="login" onDone={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ana@shop.test' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'whatever it is' } });
    fireEvent.click(screen.getByTestId('auth-submit'));
    const e = await screen.findByTestId('email-error');
    expect(e.textContent).toBe('Enter a valid email address, like name@company.com.');
    expect(screen.queryByTestId('form-error')).toBeNull();
  });

  it('an error state names the action as a link', () => {
    renderWith(<ErrorState title="Could not load chats" error={err(409, 'FailedPrecondition', 'SLICE_NOT_CONNECTED', 'no WhatsApp workspace yet: connect first (POST /api/connect)')} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).not.toContain('/api/connect');
    expect(screen.getByRole('link', { name: 'Link WhatsApp' }).getAttribute('href')).toBe('/link');
  });
});
