// Accounts (SaaS build only): register, log in (with a second factor), log out, who am I, connect a
// slice, switch account, invitations, passwords, email verification, TOTP, sessions.
import { api, setCsrfToken } from './http.ts';
import type { Me, MemberRole, Page } from './types.ts';

function remember(me: Me): Me {
  setCsrfToken(me.csrfToken);
  return me;
}

export async function getMe(signal?: AbortSignal): Promise<Me> {
  return remember(await api<Me>('/api/me', { signal }));
}

/** Names are optional: sent only when given (the server trims them). */
export async function register(email: string, password: string, names: { name?: string; businessName?: string } = {}): Promise<Me> {
  const body: Record<string, string> = { email, password };
  if (names.name?.trim()) body.name = names.name.trim();
  if (names.businessName?.trim()) body.businessName = names.businessName.trim();
  return remember(await api<Me>('/api/auth/register', { method: 'POST', body }));
}

/** The second factor, when the account has TOTP on: a code from the app, or one recovery code. */
export interface SecondFactor {
  totp?: string;
  recoveryCode?: string;
}

function withFactor(body: Record<string, string>, factor: SecondFactor = {}): Record<string, string> {
  if (factor.totp) body.totp = factor.totp;
  if (factor.recoveryCode) body.recoveryCode = factor.recoveryCode;
  return body;
}

export async function login(email: string, password: string, factor?: SecondFactor): Promise<Me> {
  return remember(await api<Me>('/api/auth/login', { method: 'POST', body: withFactor({ email, password }, factor) }));
}

export async function switchAccount(accountId: string): Promise<Me> {
  return remember(await api<Me>('/api/auth/switch-account', { method: 'POST', body: { accountId } }));
}

export interface InvitationPreview {
  accountName: string;
  email: string;
  role: MemberRole;
  expiresAt: string;
  existingUser: boolean;
}

export function previewInvitation(token: string, signal?: AbortSignal): Promise<InvitationPreview> {
  return api<InvitationPreview>('/api/auth/invitations/preview', { query: { token }, signal });
}

export async function acceptInvitation(token: string, password: string, extra: { name?: string } & SecondFactor = {}): Promise<Me> {
  const body = withFactor({ token, password }, extra);
  if (extra.name?.trim()) body.name = extra.name.trim();
  return remember(await api<Me>('/api/auth/invitations/accept', { method: 'POST', body }));
}

export function changePassword(current: string, next: string): Promise<void> {
  return api<void>('/api/auth/password', { method: 'POST', body: { current, next } });
}

export function requestPasswordReset(email: string): Promise<void> {
  return api<void>('/api/auth/password-reset', { method: 'POST', body: { email } });
}

export function confirmPasswordReset(token: string, password: string): Promise<void> {
  return api<void>('/api/auth/password-reset/confirm', { method: 'POST', body: { token, password } });
}

export function verifyEmail(token: string): Promise<void> {
  return api<void>('/api/auth/verify-email', { method: 'POST', body: { token } });
}

export function resendVerification(): Promise<void> {
  return api<void>('/api/auth/verify-email/resend', { method: 'POST' });
}

export function setupTotp(): Promise<{ secret: string; otpauthUrl: string }> {
  return api('/api/auth/totp/setup', { method: 'POST' });
}

export function enableTotp(code: string): Promise<{ recoveryCodes: string[] }> {
  return api('/api/auth/totp/enable', { method: 'POST', body: { code } });
}

export function disableTotp(password: string): Promise<void> {
  return api<void>('/api/auth/totp', { method: 'DELETE', body: { password } });
}

export function newRecoveryCodes(password: string): Promise<{ recoveryCodes: string[] }> {
  return api('/api/auth/totp/recovery-codes', { method: 'POST', body: { password } });
}

export interface SessionInfo {
  id: string;
  device: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  current: boolean;
}

export async function listSessions(signal?: AbortSignal): Promise<SessionInfo[]> {
  return (await api<Page<SessionInfo>>('/api/auth/sessions', { signal })).items;
}

export function endOtherSessions(): Promise<void> {
  return api<void>('/api/auth/sessions', { method: 'DELETE' });
}

export function endSession(id: string): Promise<void> {
  return api<void>(`/api/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export async function logout(): Promise<void> {
  await api<void>('/api/auth/logout', { method: 'POST' });
  setCsrfToken(null);
}

export async function connect(): Promise<Me> {
  return remember(await api<Me>('/api/connect', { method: 'POST' }));
}
