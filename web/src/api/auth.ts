// Accounts (SaaS build only): register, log in, log out, who am I, connect a slice.
import { api, setCsrfToken } from './http.ts';
import type { Me } from './types.ts';

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

export async function login(email: string, password: string): Promise<Me> {
  return remember(await api<Me>('/api/auth/login', { method: 'POST', body: { email, password } }));
}

export async function logout(): Promise<void> {
  await api<void>('/api/auth/logout', { method: 'POST' });
  setCsrfToken(null);
}

export async function connect(): Promise<Me> {
  return remember(await api<Me>('/api/connect', { method: 'POST' }));
}
