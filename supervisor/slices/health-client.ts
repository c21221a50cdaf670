// How the registry asks a slice whether it is well: GET /health with the slice's bearer token. A
// function of its own so the registry takes it as a dependency and knows nothing of HTTP.

export interface HealthAnswer {
  /** 200 with a JSON body: "healthy" for startsecs and for slice.health. */
  ok: boolean;
  /** The slice's JSON body, whatever its status; null when there was none. */
  body: unknown;
  /** One line saying why ok is what it is. */
  detail: string;
  /** No answer within the timeout (the connection may have been taken): slow or hung, not refused. */
  timedOut?: boolean;
}

export type HealthClient = (baseUrl: string, token: string, timeoutMs: number) => Promise<HealthAnswer>;

export const fetchSliceHealth: HealthClient = async (baseUrl, token, timeoutMs) => {
  try {
    const res = await fetch(`${baseUrl}/health`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, body: null, detail: `/health answered ${res.status} without JSON` };
    }
    if (res.status !== 200) return { ok: false, body, detail: `/health answered ${res.status}` };
    return { ok: true, body, detail: 'ok' };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    if (cause === 'TimeoutError') return { ok: false, body: null, detail: `/health did not answer in ${timeoutMs} ms`, timedOut: true };
    return { ok: false, body: null, detail: `/health unreachable (${cause})` };
  }
};
