// Issue 16 self-service in the browser: the login's second factor, accepting an invitation, resetting
// a password, confirming an email, the Account page's 2FA setup and sessions.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { AuthForm } from '../src/screens/auth.tsx';
import { InviteScreen } from '../src/screens/invite.tsx';
import { ForgotPasswordScreen, ResetPasswordScreen } from '../src/screens/password-reset.tsx';
import { VerifyEmailScreen } from '../src/screens/verify-email.tsx';
import { AccountScreen } from '../src/screens/account.tsx';
import { VerifyEmailBanner } from '../src/components/app-shell.tsx';
import { fakeFetch, renderWith } from './helpers.tsx';
import { meAs } from './team-fixtures.ts';

afterEach(() => vi.unstubAllGlobals());

const fail = (status: number, code: string) => ({ status, body: { error: { kind: status === 401 ? 'Unauthenticated' : status === 404 ? 'NotFound' : 'PermissionDenied', code, message: code.toLowerCase() } } });

describe('login with two-factor', () => {
  it('TOTP_REQUIRED asks for the code, then logs in with it; a wrong code is said beside the field', async () => {
    const calls = fakeFetch((c) => {
      const b = c.body as { totp?: string; recoveryCode?: string };
      if (!b.totp && !b.recoveryCode) return fail(401, 'TOTP_REQUIRED');
      if (b.totp === '111111') return fail(401, 'TOTP_INVALID');
      return { status: 200, body: meAs('owner', { totpEnabled: true }) };
    });
    const onDone = vi.fn();
    renderWith(<AuthForm mode="login" onDone={onDone} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'owner@shop.test' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    expect(screen.queryByTestId('totp-code')).toBeNull();
    fireEvent.click(screen.getByTestId('auth-submit'));
    const code = await screen.findByTestId('totp-code');
    expect(screen.getByLabelText('Code from your authenticator app')).toBe(code);
    expect(onDone).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId('auth-submit'));
    expect((await screen.findByTestId('totp-code-error')).textContent).toBe('Enter the 6-digit code.');
    fireEvent.change(code, { target: { value: '111111' } });
    fireEvent.click(screen.getByTestId('auth-submit'));
    expect((await screen.findByTestId('totp-code-error')).textContent).toMatch(/not right/);
    fireEvent.change(code, { target: { value: '123456' } });
    fireEvent.click(screen.getByTestId('auth-submit'));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(calls.at(-1)!.body).toEqual({ email: 'owner@shop.test', password: 'correct horse', totp: '123456' });
  });

  it('a recovery code instead of the app', async () => {
    const calls = fakeFetch((c) => ((c.body as { recoveryCode?: string }).recoveryCode ? { status: 200, body: meAs('owner') } : fail(401, 'TOTP_REQUIRED')));
    const onDone = vi.fn();
    renderWith(<AuthForm mode="login" onDone={onDone} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'owner@shop.test' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    fireEvent.click(screen.getByTestId('auth-submit'));
    await screen.findByTestId('totp-code');
    fireEvent.click(screen.getByTestId('use-recovery-code'));
    fireEvent.change(screen.getByLabelText('Recovery code'), { target: { value: 'abcd-efgh' } });
    fireEvent.click(screen.getByTestId('auth-submit'));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(calls.at(-1)!.body).toEqual({ email: 'owner@shop.test', password: 'correct horse', recoveryCode: 'abcd-efgh' });
  });
});

const preview = (existingUser: boolean) => ({ accountName: 'Vase Shop', email: 'ana@shop.test', role: 'agent', expiresAt: '2026-12-05T10:00:00.000Z', existingUser });

function Invite() {
  return (
    <Routes>
      <Route path="/invite" element={<InviteScreen />} />
      <Route path="/link" element={<p data-testid="landed">linked</p>} />
    </Routes>
  );
}

describe('accepting an invitation', () => {
  it('a new user: preview, name and password, then signed in to that account', async () => {
    const calls = fakeFetch((c) =>
      c.path.startsWith('/api/auth/invitations/preview') ? { status: 200, body: preview(false) } : c.path === '/api/auth/invitations/accept' ? { status: 200, body: meAs('agent') } : undefined,
    );
    const { client } = renderWith(<Invite />, { route: '/invite?token=tok_abc' });
    expect((await screen.findByRole('heading')).textContent).toBe('Join Vase Shop');
    expect(screen.getByTestId('invite-preview-email').textContent).toBe('ana@shop.test');
    expect(calls[0]!.path).toBe('/api/auth/invitations/preview?token=tok_abc');
    fireEvent.change(screen.getByTestId('accept-name'), { target: { value: 'Ana' } });
    fireEvent.change(screen.getByTestId('accept-password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByTestId('accept-submit'));
    expect((await screen.findByTestId('accept-password-error')).textContent).toMatch(/at least 10/);
    expect(calls.some((c) => c.path === '/api/auth/invitations/accept')).toBe(false);
    fireEvent.change(screen.getByTestId('accept-password'), { target: { value: 'long enough pass' } });
    fireEvent.click(screen.getByTestId('accept-submit'));
    await screen.findByTestId('landed');
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: '/api/auth/invitations/accept', body: { token: 'tok_abc', password: 'long enough pass', name: 'Ana' } });
    expect((client.getQueryData(['me']) as { member: { role: string } }).member.role).toBe('agent');
  });

  it('an existing user: no name field, a wrong password is said, TOTP asked when on', async () => {
    const calls = fakeFetch((c) => {
      if (c.path.startsWith('/api/auth/invitations/preview')) return { status: 200, body: preview(true) };
      const b = c.body as { password: string; totp?: string };
      if (b.password !== 'my real password') return fail(403, 'WRONG_PASSWORD');
      return b.totp ? { status: 200, body: meAs('agent') } : fail(401, 'TOTP_REQUIRED');
    });
    renderWith(<Invite />, { route: '/invite?token=tok_abc' });
    await screen.findByTestId('accept-password');
    expect(screen.queryByTestId('accept-name')).toBeNull();
    fireEvent.change(screen.getByTestId('accept-password'), { target: { value: 'a wrong one' } });
    fireEvent.click(screen.getByTestId('accept-submit'));
    expect((await screen.findByTestId('accept-password-error')).textContent).toBe('That password is not right.');
    fireEvent.change(screen.getByTestId('accept-password'), { target: { value: 'my real password' } });
    fireEvent.click(screen.getByTestId('accept-submit'));
    fireEvent.change(await screen.findByTestId('totp-code'), { target: { value: '654321' } });
    fireEvent.click(screen.getByTestId('accept-submit'));
    await screen.findByTestId('landed');
    expect(calls.at(-1)!.body).toEqual({ token: 'tok_abc', password: 'my real password', totp: '654321' });
  });

  it('a used, revoked or expired invitation says so and offers no form', async () => {
    fakeFetch(() => fail(404, 'INVITATION_INVALID'));
    renderWith(<Invite />, { route: '/invite?token=tok_old' });
    expect((await screen.findByTestId('invite-invalid')).textContent).toMatch(/used, revoked or has expired/);
    expect(screen.queryByTestId('accept-submit')).toBeNull();
  });
});

describe('password reset and email verification', () => {
  it('forgot password: the same answer whatever the email; reset: once with the token', async () => {
    const calls = fakeFetch((c) => (c.path === '/api/auth/password-reset' ? { status: 202 } : c.path === '/api/auth/password-reset/confirm' ? { status: 204 } : undefined));
    const first = renderWith(<ForgotPasswordScreen />, { route: '/forgot-password' });
    fireEvent.change(screen.getByTestId('reset-email'), { target: { value: 'who@shop.test' } });
    fireEvent.click(screen.getByTestId('reset-submit'));
    expect((await screen.findByTestId('reset-sent')).textContent).toContain('If who@shop.test has a Queunir account');
    expect(calls[0]).toMatchObject({ method: 'POST', body: { email: 'who@shop.test' } });
    first.unmount();

    renderWith(<ResetPasswordScreen />, { route: '/reset-password?token=tok_r' });
    fireEvent.change(screen.getByTestId('new-password'), { target: { value: 'a brand new one' } });
    fireEvent.click(screen.getByTestId('reset-confirm'));
    await screen.findByTestId('reset-done');
    expect(calls.at(-1)).toMatchObject({ path: '/api/auth/password-reset/confirm', body: { token: 'tok_r', password: 'a brand new one' } });
  });

  it('a used reset link is said in words', async () => {
    fakeFetch(() => fail(404, 'TOKEN_INVALID'));
    renderWith(<ResetPasswordScreen />, { route: '/reset-password?token=tok_used' });
    fireEvent.change(screen.getByTestId('new-password'), { target: { value: 'a brand new one' } });
    fireEvent.click(screen.getByTestId('reset-confirm'));
    expect((await screen.findByTestId('form-error')).textContent).toMatch(/used or has expired/);
  });

  it('verify-email posts the token once', async () => {
    const calls = fakeFetch(() => ({ status: 204 }));
    renderWith(<VerifyEmailScreen />, { route: '/verify-email?token=tok_v' });
    await screen.findByTestId('email-verified');
    expect(calls.filter((c) => c.path === '/api/auth/verify-email')).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ token: 'tok_v' });
  });

  it('the banner reminds an unverified user and sends the link again', async () => {
    const calls = fakeFetch((c) => (c.path === '/api/me' ? { status: 200, body: meAs('owner', { emailVerified: false }) } : { status: 202 }));
    renderWith(<VerifyEmailBanner />);
    fireEvent.click(await screen.findByTestId('resend-verification'));
    await screen.findByTestId('verification-sent');
    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/auth/verify-email/resend')).toBe(true);
  });
});

describe('Account page', () => {
  it('2FA setup shows the QR of otpauthUrl, then the recovery codes once', async () => {
    const url = 'otpauth://totp/Queunir:owner%40shop.test?secret=JBSWY3DPEHPK3PXP&issuer=Queunir';
    const calls = fakeFetch((c) =>
      c.path === '/api/me'
        ? { status: 200, body: meAs('owner') }
        : c.path === '/api/auth/sessions'
          ? { status: 200, body: { items: [], nextCursor: null } }
          : c.path === '/api/auth/totp/setup'
            ? { status: 200, body: { secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: url } }
            : c.path === '/api/auth/totp/enable'
              ? { status: 200, body: { recoveryCodes: Array.from({ length: 10 }, (_, i) => `code-${i}`) } }
              : undefined,
    );
    renderWith(<AccountScreen />, { route: '/account' });
    fireEvent.click(await screen.findByTestId('totp-setup'));
    expect((await screen.findByTestId('totp-qr')).getAttribute('data-qr')).toBe(url);
    fireEvent.change(screen.getByTestId('totp-enable-code'), { target: { value: '123456' } });
    fireEvent.click(screen.getByTestId('totp-enable'));
    expect((await screen.findByTestId('recovery-codes')).querySelectorAll('li')).toHaveLength(10);
    expect(calls.find((c) => c.path === '/api/auth/totp/enable')!.body).toEqual({ code: '123456' });
    fireEvent.click(screen.getByTestId('recovery-codes-done'));
    expect(screen.queryByTestId('recovery-codes')).toBeNull();
  });

  it('sessions: log out one or every other; delete is for owners with the password', async () => {
    let sessions = [
      { id: 's1', device: 'Firefox on Linux', ip: '127.0.0.1', createdAt: '2026-12-01T10:00:00.000Z', lastUsedAt: '2026-12-02T10:00:00.000Z', current: true },
      { id: 's2', device: 'Safari on iPhone', ip: '10.0.0.2', createdAt: '2026-12-01T10:00:00.000Z', lastUsedAt: null, current: false },
    ];
    const calls = fakeFetch((c) => {
      if (c.path === '/api/me') return { status: 200, body: meAs('agent') };
      if (c.path === '/api/auth/sessions' && c.method === 'GET') return { status: 200, body: { items: sessions, nextCursor: null } };
      if (c.path === '/api/auth/sessions/s2' && c.method === 'DELETE') {
        sessions = sessions.filter((s) => s.id !== 's2');
        return { status: 204 };
      }
      return undefined;
    });
    renderWith(<AccountScreen />, { route: '/account' });
    await waitFor(() => expect(screen.getAllByTestId('session-row')).toHaveLength(2));
    expect(screen.queryByTestId('delete-account')).toBeNull(); // an agent
    expect(screen.queryByTestId('open-audit')).toBeNull();
    fireEvent.click(screen.getByTestId('end-session'));
    await waitFor(() => expect(screen.getAllByTestId('session-row')).toHaveLength(1));
    expect(calls.some((c) => c.method === 'DELETE' && c.path === '/api/auth/sessions/s2')).toBe(true);
  });

  it('an owner deletes the account with the password', async () => {
    const calls = fakeFetch((c) =>
      c.path === '/api/me' ? { status: 200, body: meAs('owner') } : c.path === '/api/auth/sessions' ? { status: 200, body: { items: [], nextCursor: null } } : c.path === '/api/account' ? { status: 202, body: { state: 'deleting' } } : undefined,
    );
    renderWith(<AccountScreen />, { route: '/account' });
    const button = (await screen.findByTestId('delete-account')) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(screen.getByTestId('open-audit').getAttribute('href')).toBe('/account/audit');
    fireEvent.change(screen.getByLabelText('Your password'), { target: { value: 'my password' } });
    fireEvent.click(button);
    fireEvent.click(screen.getByTestId('delete-account-confirm'));
    await waitFor(() => expect(calls.find((c) => c.method === 'DELETE' && c.path === '/api/account')?.body).toEqual({ password: 'my password' }));
  });
});
