// The session cookie's name, and how an HTTP client of the gateway (npm start's demo sign-in, the
// e2e tests, the benches) picks it out of a sign-in's answer: a sign-in sets the known-device
// cookie too, so it is never simply the first Set-Cookie.

export const SESSION_COOKIE = 'queunir_sid';

/** `queunir_sid=…` from a response's Set-Cookie headers, ready for a Cookie header; undefined when none. */
export function sessionCookieOf(headers: Headers): string | undefined {
  return headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
}
