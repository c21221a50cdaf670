import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { AuthForm } from '../src/screens/auth.tsx';
import { api } from '../src/api/http.ts';
import { fakeFetch, renderWith } from './helpers.tsx';

const me = { user: { id: 1, email: 'ana@shop.test', role: 'user' }, csrfToken: 'csrf-123', slice: null, wa: null, plan: { status: 'active' } };

function fill(email: string, password: string) {
  fireEvent.change(screen.getByLabelText('Email'), { target: { value: email } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByTestId('auth-submit'));
}

afterEach(() => vi.unstubAllGlobals());

describe('login and register forms', () => {
  it('shows EMAIL_TAKEN beside the email field, not the password field', async () => {
    fakeFetch(() => ({ status: 409, body: { error: { kind: 'AlreadyExists', code: 'EMAIL_TAKEN', message: 'An account with this email exists.' } } }));
    renderWith(<AuthForm mode="register" onDone={() => undefined} />);
    fill('ana@shop.test', 'long enough password');
    const error = await screen.findByTestId('email-error');
    expect(error.textContent).toBe('This email already has an account. Log in');
    expect(error.querySelector('a')?.getAttribute('href')).toBe('/login');
    expect(screen.queryByTestId('password-error')).toBeNull();
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText('Email').getAttribute('aria-describedby')).toBe('email-error');
  });

  it('shows a too-short password beside the password field', async () => {
    fakeFetch(() => ({ status: 400, body: { error: { kind: 'InvalidArgument', code: 'INVALID_ARGUMENT', message: 'password must be at least 10 characters' } } }));
    renderWith(<AuthForm mode="register" onDone={() => undefined} />);
    fill('ana@shop.test', 'short');
    expect((await screen.findByTestId('password-error')).textContent).toMatch(/at least 10/);
    expect(screen.queryByTestId('email-error')).toBeNull();
  });

  it('shows BAD_CREDENTIALS beside the password and keeps what was typed', async () => {
    const calls = fakeFetch(() => ({ status: 401, body: { error: { kind: 'Unauthenticated', code: 'BAD_CREDENTIALS', message: 'Wrong email or password.' } } }));
    const onDone = vi.fn();
    renderWith(<AuthForm mode="login" onDone={onDone} />);
    fill('ana@shop.test', 'not my password');
    expect((await screen.findByTestId('password-error')).textContent).toBe('The email or the password is wrong.');
    expect(onDone).not.toHaveBeenCalled();
    expect((screen.getByLabelText('Email') as HTMLInputElement).value).toBe('ana@shop.test');
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/auth/login', body: { email: 'ana@shop.test', password: 'not my password' } });
  });

  it('checks the fields before asking the server', async () => {
    const calls = fakeFetch(() => ({ status: 200, body: me }));
    renderWith(<AuthForm mode="login" onDone={() => undefined} />);
    fill('not-an-email', '');
    expect((await screen.findByTestId('email-error')).textContent).toMatch(/valid email/);
    expect(screen.getByTestId('password-error').textContent).toMatch(/Enter your password/);
    expect(calls).toHaveLength(0);
  });

  it('an unknown server error is shown for the form, and a success hands over the account', async () => {
    let fail = true;
    fakeFetch(() => (fail ? { status: 503, body: { error: { kind: 'Unavailable', code: 'UNAVAILABLE', message: 'Try again shortly.' } } } : { status: 200, body: me }));
    const onDone = vi.fn();
    renderWith(<AuthForm mode="login" onDone={onDone} />);
    fill('ana@shop.test', 'correct horse');
    expect((await screen.findByTestId('form-error')).textContent).toBe('Queunir is busy or restarting. Try again in a moment.');
    fail = false;
    fireEvent.click(screen.getByTestId('auth-submit'));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(me));
  });

  it('after logging in, writes carry the CSRF token from /api/me', async () => {
    const calls = fakeFetch((c) => (c.path === '/api/auth/login' ? { status: 200, body: me } : { status: 204 }));
    renderWith(<AuthForm mode="login" onDone={() => undefined} />);
    fill('ana@shop.test', 'correct horse');
    await waitFor(() => expect(calls).toHaveLength(1));
    await waitFor(async () => {
      await api('/api/chats/7/read', { method: 'POST' });
      expect(calls[calls.length - 1]!.headers['x-csrf-token']).toBe('csrf-123');
    });
  });
});
